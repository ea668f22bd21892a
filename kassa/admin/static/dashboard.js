// The dashboard's charts (uPlot, served from /admin/static/vendor: no network needed):
// payments per day, renewal charges per day (renewed, failed), and revenue per day, one
// chart for each currency. Everything written on them is in the reader's language: days
// and counts through the browser's Intl for the page's language, amounts as the server's
// money formatter wrote them (the same as the cards: 200 000,00 UZS, 1,234.56 USD).
(() => {
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const daily = read("daily-data");
  const days = read("window");  // every day of the range, oldest first
  const renewals = read("renewal-data");
  const revenue = read("revenue-charts");  // [{currency, amounts, labels, ticks, tick_labels}]
  const words = read("chart-words");  // the series' names in the operator's language
  const lang = document.documentElement.lang || "en";
  const counted = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  const asDay = (options) => new Intl.DateTimeFormat(lang, { timeZone: "UTC", ...options });
  const shortDay = asDay({ day: "numeric", month: "short" });
  const longDay = asDay({ day: "numeric", month: "long", year: "numeric" });
  const date = (i) => new Date(days[i] + "T00:00:00Z");
  const width = (el) => Math.max(280, el.clientWidth - 8);
  const colours = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626"];
  const xs = days.map((_, i) => i);  // drawn by the day's place in the range

  // x: the day's place in the range, marked every 1, 2, 7, 14… days, written as a date
  const dayAxis = {
    incrs: [1, 2, 7, 14, 28, 56, 91, 182, 364],
    space: 48,
    values: (u, marks) => marks.map((i) => (Number.isInteger(i) && days[i] ? shortDay.format(date(i)) : "")),
  };
  const daySeries = {
    label: words.time,
    value: (u, i) => (i == null || !days[i] ? "–" : longDay.format(date(i))),
  };
  const base = (element) => ({
    width: width(element), height: 220,
    scales: { x: { time: false, range: [0, Math.max(1, days.length - 1)] } },
    legend: { live: true },
  });

  // A count per day of the range (0 where a day has no row): one line for each of `lines`,
  // [field, colour], the first filled.
  const countsPerDay = (id, rows, lines, axisLabel) => {
    const element = document.getElementById(id);
    if (!element || !days.length) return;
    const byDay = Object.fromEntries(rows.map((d) => [d.day, d]));
    new uPlot({
      ...base(element),
      scales: { ...base(element).scales, y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
      series: [daySeries, ...lines.map(([field, colour], i) => ({
        label: words[field], stroke: colour, width: 2, ...(i === 0 ? { fill: colour + "1f" } : {}),
        value: (u, v) => (v == null ? "–" : counted.format(v)),
      }))],
      axes: [dayAxis, {
        label: axisLabel, size: 56, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 1e5, 1e6],
        values: (u, marks) => marks.map((v) => counted.format(v)),
      }],
    }, [xs, ...lines.map(([field]) => days.map((d) => byDay[d]?.[field] ?? 0))], element);
  };

  countsPerDay("chart-payments", daily, [["payments", "#6366f1"], ["succeeded", "#16a34a"]], words.payments);
  countsPerDay("chart-renewals", renewals, [["renewed", "#16a34a"], ["failed", "#dc2626"]]);

  // Revenue: a chart per currency, on marks the server chose and wrote (minor units drawn)
  revenue.forEach((chart, n) => {
    const element = document.getElementById("chart-revenue-" + chart.currency);
    if (!element || !days.length) return;
    const written = Object.fromEntries(chart.ticks.map((t, i) => [t, chart.tick_labels[i]]));
    const colour = colours[n % colours.length];
    new uPlot({
      ...base(element),
      scales: { ...base(element).scales, y: { range: [chart.ticks[0], chart.ticks[chart.ticks.length - 1]] } },
      series: [daySeries, {
        label: chart.currency, stroke: colour, fill: colour + "1f", width: 2,
        value: (u, v, s, i) => (i == null ? "–" : chart.labels[i] + " " + chart.currency),
      }],
      axes: [dayAxis, {
        size: Math.max(56, 8 * Math.max(...chart.tick_labels.map((t) => t.length)) + 16),
        splits: () => chart.ticks,
        values: (u, marks) => marks.map((v) => written[v] ?? ""),
      }],
    }, [xs, chart.amounts], element);
  });
})();
