// The dashboard's charts (uPlot, served from /admin/static/vendor): payments per day,
// revenue per day for each currency, and renewal charges per day (renewed, failed).
// Amounts arrive in minor units with each currency's exponent; they are scaled only to be
// drawn and labelled.
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

  // A count per day of the range (0 where a day has no row): one line for each of `lines`,
  // [field, colour], the first filled.
  const countsPerDay = (id, rows, lines, axisLabel) => {
    const element = document.getElementById(id);
    if (!element || !days.length) return;
    const byDay = Object.fromEntries(rows.map((d) => [d.day, d]));
    new uPlot({
      width: width(element), height: 220,
      scales: { x: { time: true } },
      series: [{ label: words.time }, ...lines.map(([field, colour], i) => ({
        label: words[field], stroke: colour, width: 2, ...(i === 0 ? { fill: colour + "1f" } : {}),
      }))],
      axes: [{}, { label: axisLabel, size: 50 }],
    }, [days.map(epoch), ...lines.map(([field]) => days.map((d) => byDay[d]?.[field] ?? 0))], element);
  };

  countsPerDay("chart-payments", daily, [["payments", "#6366f1"], ["succeeded", "#16a34a"]], words.payments);
  countsPerDay("chart-renewals", renewals, [["renewed", "#16a34a"], ["failed", "#dc2626"]]);

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

})();
