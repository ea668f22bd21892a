// The dashboard's charts (uPlot, served from /admin/static/vendor): payments per day, and
// revenue per day for each currency. Amounts arrive in minor units with each currency's
// exponent; they are scaled only to be drawn and labelled.
(() => {
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const daily = read("daily-data");
  const revenue = read("revenue-data");
  const exponents = read("exponents");
  const days = read("window");  // every day of the range, oldest first
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
        {},
        { label: "payments", stroke: "#6366f1", fill: "rgba(99,102,241,0.12)", width: 2 },
        { label: "succeeded", stroke: "#16a34a", width: 2 },
      ],
      axes: [{}, { label: "payments", size: 50 }],
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
      series: [{}, ...currencies.map((cur, i) => ({
        label: cur, stroke: colours[i % colours.length], width: 2,
        value: (u, v) => (v == null ? "-" : format.format(v) + " " + cur),
      }))],
      axes: [{}, { size: 70, values: (u, vals) => vals.map((v) => format.format(v)) }],
    }, [days.map(epoch), ...series], money);
  }
})();
