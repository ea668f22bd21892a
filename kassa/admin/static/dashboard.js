// The dashboard's charts (uPlot, served from /admin/static/vendor): payments per day,
// revenue per day for each currency, and renewal charges per day (renewed, failed). Amounts arrive in minor units with each currency's
// exponent; they are scaled only to be drawn and labelled.
(() => {
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const daily = read("daily-data");
  const revenue = read("revenue-data");
  const exponents = read("exponents");
  const days = read("window");  // every day of the range, oldest first
  const renewals = read("renewal-data");
  const words = read("chart-words");  // the series' names in the operator's language
  const epoch = (day) => Date.parse(day + "T00:00:00Z") / 1000;
  const width = (el) => Math.max(280, el.clientWidth - 8);
  const colours = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626"];

  const payments = document.getElementById("chart-payments");
  const byDay = Object.fromEntries(daily.map((d) => [d.day, d]));
  if (payments && days.length) {
    new uPlot({
      width: width(payments), height: 220,
      scales: { x: { time: true } },
      series: [
        { label: words.time },
        { label: words.payments, stroke: "#6366f1", fill: "rgba(99,102,241,0.12)", width: 2 },
        { label: words.succeeded, stroke: "#16a34a", width: 2 },
      ],
      axes: [{}, { label: words.payments, size: 50 }],
    }, [days.map(epoch), days.map((d) => byDay[d]?.payments ?? 0),
        days.map((d) => byDay[d]?.succeeded ?? 0)],
    payments);
  }

  const money = document.getElementById("chart-revenue");
  const currencies = [...new Set(revenue.map((r) => r.currency))];
  if (money && currencies.length) {
    const series = currencies.map((cur) => days.map((day) => {
      const hit = revenue.find((r) => r.day === day && r.currency === cur);
      return hit ? hit.amount / 10 ** (exponents[cur] ?? 2) : 0;
    }));
    const format = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
    new uPlot({
      width: width(money), height: 220,
      scales: { x: { time: true } },
      series: [{ label: words.time }, ...currencies.map((cur, i) => ({
        label: cur, stroke: colours[i % colours.length], width: 2,
        value: (u, v) => (v == null ? "-" : format.format(v) + " " + cur),
      }))],
      axes: [{}, { size: 70, values: (u, vals) => vals.map((v) => format.format(v)) }],
    }, [days.map(epoch), ...series], money);
  }

  const renewed = document.getElementById("chart-renewals");
  const renewalsByDay = Object.fromEntries(renewals.map((d) => [d.day, d]));
  if (renewed && days.length) {
    new uPlot({
      width: width(renewed), height: 220,
      scales: { x: { time: true } },
      series: [
        { label: words.time },
        { label: words.renewed, stroke: "#16a34a", fill: "rgba(22,163,74,0.12)", width: 2 },
        { label: words.failed, stroke: "#dc2626", width: 2 },
      ],
      axes: [{}, { size: 50 }],
    }, [days.map(epoch), days.map((d) => renewalsByDay[d]?.renewed ?? 0),
        days.map((d) => renewalsByDay[d]?.failed ?? 0)],
    renewed);
  }
})();
