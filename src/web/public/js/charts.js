// chart.js (served from node_modules as a UMD script) with the console's dark palette.
export const COLORS = {
  customer: '#4fc3f7',
  agent: '#ffb74d',
  angry: '#ef5350',
  frustrated: '#ff9800',
  neutral: '#90a4ae',
  satisfied: '#66bb6a',
  critical: '#ef5350',
  warning: '#ffca28',
  info: '#42a5f5',
  grid: 'rgba(255,255,255,0.08)',
  text: '#c9d1d9',
};

/** Creates a chart in a canvas; returns it (destroy it when the view goes). Null if chart.js is missing. */
export function chart(canvas, config) {
  const Chart = window.Chart;
  if (!Chart) return null;
  Chart.defaults.color = COLORS.text;
  Chart.defaults.borderColor = COLORS.grid;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  return new Chart(canvas, {
    ...config,
    options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
  });
}
