// Live parts of the admin UI, without a build step: confirmation of destructive actions
// and a status that updates itself while a payment is still open.
document.addEventListener("submit", (event) => {
  const form = event.target;
  let message = form.dataset.confirm;
  if (form.dataset.confirmRefund) {  // the amount the operator is about to give back
    const typed = form.querySelector("[name=amount]").value.trim();
    const words = form.dataset.confirmWords || "Refund";
    message = `${words} ${typed || form.dataset.rest} ${form.dataset.confirmRefund}?`;
  }
  if (message && !window.confirm(message)) event.preventDefault();
});

const live = document.querySelector("[data-live-status]");
if (live) {
  const poll = async () => {
    const response = await fetch(live.dataset.liveStatus, { credentials: "same-origin" });
    if (response.ok) {
      const body = await response.json();
      live.textContent = body.label ?? body.status;
      live.className = "status " + body.status;
      if (["pending", "processing"].includes(body.status)) setTimeout(poll, 1000);
      else document.querySelectorAll("[data-reload-when-done]").forEach(() => window.location.reload());
    }
  };
  setTimeout(poll, 1000);
}

// The shop form shows the fields of the chosen provider only (each provider's plug-in
// declares them); without scripts every provider's fields show, named by provider.
const providerSelect = document.querySelector("#shop-provider");
if (providerSelect) {
  const show = () => {
    document.querySelectorAll(".provider-fields").forEach((set) => {
      const chosen = set.dataset.provider === providerSelect.value;
      set.hidden = !chosen;
      set.querySelectorAll("input").forEach((input) => { input.disabled = !chosen; });
    });
  };
  providerSelect.addEventListener("change", show);
  show();
}

// The language picker in the header applies as soon as it is changed.
document.querySelectorAll("[data-submit-on-change]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
