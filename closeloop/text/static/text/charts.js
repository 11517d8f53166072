// Draws the theme trends with plotly (served from our own origin). The tables carry the same
// figures, so the pages work without it.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof window.Plotly === "undefined") return;
  document.querySelectorAll("[data-text-chart]").forEach((el) => {
    const source = document.getElementById(el.dataset.textChart);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    if (!data.weeks || !data.weeks.length) return;
    const traces = (data.series || []).map((s) => (data.stacked ? {
      type: "bar", name: s.name, x: data.weeks, y: s.counts, marker: { color: s.color },
    } : {
      type: "scatter", mode: "lines+markers", name: s.name, x: data.weeks, y: s.counts,
    }));
    const layout = {
      barmode: data.stacked ? "stack" : undefined,
      margin: { l: 48, r: 16, t: 16, b: 40 },
      xaxis: { type: "date" },
      yaxis: { title: { text: data.y_title }, rangemode: "tozero" },
      legend: { orientation: "h", y: -0.2 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: getComputedStyle(document.body).fontFamily },
    };
    window.Plotly.newPlot(el, traces, layout, { responsive: true, displaylogo: false });
    el.setAttribute("data-drawn", "true");
  });
});
