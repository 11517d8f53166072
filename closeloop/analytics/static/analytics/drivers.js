// Draws each key-driver priority matrix with plotly (loaded from our own origin).
// The page works without it: the quadrant lists and the table carry the same figures.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof window.Plotly === "undefined") return;
  document.querySelectorAll("[data-drivers-chart]").forEach((el) => {
    const source = document.getElementById(el.dataset.driversChart);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const points = data.points || [];
    if (!points.length) return;
    const trace = {
      type: "scatter",
      mode: "markers+text",
      x: points.map((p) => p.x),
      y: points.map((p) => p.y),
      text: points.map((p) => p.label),
      customdata: points.map((p) => data.quadrants[p.quadrant] || ""),
      textposition: "top center",
      marker: { size: 12, color: points.map((p) => p.color) },
      hovertemplate: "<b>%{text}</b><br>%{customdata}<br>" +
        data.x_title + ": %{x}<br>" + data.y_title + ": %{y}<extra></extra>",
      cliponaxis: false,
    };
    const maxY = Math.max(...points.map((p) => p.y), data.y_cut || 0) * 1.15 + 1;
    const shapes = [];
    if (data.x_cut !== null) {
      shapes.push({ type: "line", x0: data.x_cut, x1: data.x_cut, y0: 0, y1: maxY,
        line: { dash: "dot", color: "#9aa5a8" } });
    }
    if (data.y_cut !== null) {
      shapes.push({ type: "line", x0: 0, x1: 100, y0: data.y_cut, y1: data.y_cut,
        line: { dash: "dot", color: "#9aa5a8" } });
    }
    const corner = (x, y, key, xanchor, yanchor) => ({
      x, y, text: data.quadrants[key], showarrow: false, xanchor, yanchor,
      font: { size: 11, color: "#5b6b70" },
    });
    const layout = {
      margin: { l: 56, r: 16, t: 24, b: 48 },
      xaxis: { title: { text: data.x_title }, range: [0, 100], zeroline: false },
      yaxis: { title: { text: data.y_title }, range: [0, maxY], zeroline: false },
      shapes,
      annotations: [
        corner(1, maxY, "fix_first", "left", "top"),
        corner(99, maxY, "keep_up", "right", "top"),
        corner(1, 0, "monitor", "left", "bottom"),
        corner(99, 0, "lower_priority", "right", "bottom"),
      ],
      showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: getComputedStyle(document.body).fontFamily },
    };
    window.Plotly.newPlot(el, [trace], layout, { responsive: true, displaylogo: false });
    el.setAttribute("data-drawn", "true");
  });
});
