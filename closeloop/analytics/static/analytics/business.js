// Draws the business metrics bars (rates per NPS group with error bars) with plotly, served
// from our own origin. The table on the page carries the same figures.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof window.Plotly === "undefined") return;
  document.querySelectorAll("[data-business-chart]").forEach((el) => {
    const source = document.getElementById(el.dataset.businessChart);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const colors = ["#b3261e", "#1b7f5b", "#3a6ea5", "#8a6d00"];
    const traces = (data.series || []).map((s, i) => ({
      type: "bar",
      name: s.name,
      x: data.categories,
      y: s.values,
      error_y: {
        type: "data",
        symmetric: false,
        array: s.plus.map((e) => e || 0),
        arrayminus: s.minus.map((e) => e || 0),
        visible: true,
      },
      marker: { color: colors[i % colors.length] },
      hovertemplate: "%{x}: %{y:.1f}%<extra>" + s.name + "</extra>",
    }));
    if (!traces.length) return;
    const layout = {
      barmode: "group",
      margin: { l: 56, r: 16, t: 24, b: 48 },
      yaxis: { title: { text: data.y_title }, rangemode: "tozero" },
      legend: { orientation: "h" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: getComputedStyle(document.body).fontFamily },
    };
    window.Plotly.newPlot(el, traces, layout, { responsive: true, displaylogo: false });
    el.setAttribute("data-drawn", "true");
  });
});
