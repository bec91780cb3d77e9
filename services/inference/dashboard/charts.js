// Chart.js (UMD build, window.Chart) charts that record how many points they plot in their box's data-points.
const { Chart } = window;

const PALETTE = ['#2f6fde', '#e8710a', '#1e8e3e', '#d93025', '#9334e6', '#12b5cb', '#f9ab00', '#5f6368', '#b31412', '#0d652d'];

export const color = (index) => PALETTE[index % PALETTE.length];

const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });

function count(chart) {
  const points = chart.data.datasets.reduce((sum, dataset) => sum + dataset.data.length, 0);
  chart.canvas.parentElement.dataset.points = String(points);
  return points;
}

function create(canvasId, config) {
  const canvas = document.getElementById(canvasId);
  return new Chart(canvas, {
    ...config,
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      ...config.options,
    },
  });
}

/** A line chart over wall-clock time; `set` takes `[{ name, points: [[ms, value], ...] }]`. */
export function timeLines(canvasId, yTitle) {
  const chart = create(canvasId, {
    type: 'line',
    data: { datasets: [] },
    options: {
      scales: {
        x: { type: 'linear', ticks: { callback: (value) => clock(value), maxTicksLimit: 6 } },
        y: { beginAtZero: true, title: { display: true, text: yTitle } },
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, tooltip: { callbacks: { title: (items) => clock(items[0].parsed.x) } } },
      elements: { point: { radius: 0 } },
    },
  });
  return {
    set(series) {
      chart.data.datasets = series.map((entry, index) => ({ label: entry.name, data: entry.points.map(([x, y]) => ({ x, y })), borderColor: color(index), backgroundColor: color(index), borderWidth: 1.5 }));
      chart.update();
      return count(chart);
    },
  };
}

/** A chart over categories (versions, epochs, days); `set(labels, datasets)`, datasets in Chart.js form. */
export function categories(canvasId, type, options = {}) {
  const chart = create(canvasId, { type, data: { labels: [], datasets: [] }, options });
  return {
    set(labels, datasets) {
      chart.data.labels = labels;
      chart.data.datasets = datasets;
      chart.update();
      return count(chart);
    },
  };
}
