// The dashboard: polls series and model versions every 2 s; preview and simulation on demand.
import { ApiError, apiKey, getJson, setApiKey } from './api.js';
import { categories, color, timeLines } from './charts.js';

const POLL_MS = 2000;

const events = timeLines('events-chart', 'events/s');
const lag = timeLines('lag-chart', 'records behind');
const online = categories('online-chart', 'bar', { scales: { y: { beginAtZero: true, title: { display: true, text: 'per served list' } } } });
const curve = categories('curve-chart', 'line', { scales: { x: { title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: 'loss' } } } });
const replenishment = categories('replenishment-chart', 'bar', {
  scales: { y: { beginAtZero: true, title: { display: true, text: 'on hand (lines)' } }, orders: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'ordered (bars)' } } },
});

const $ = (selector) => document.querySelector(selector);
const element = (tag, text, className) => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
};
const fixed = (value, digits = 3) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–');
/** Metrics near zero (a log loss of 0.0004) keep their significant digits. */
const metric = (value) => (typeof value === 'number' && Number.isFinite(value) ? String(Number(value.toPrecision(3))) : '–');
const percent = (value) => (typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(2)} %` : '–');

/** A panel's state line: a message, or an error in red (its HTTP status and code first). */
function state(panelId, message, isError = false) {
  const node = $(`#${panelId} [data-state]`);
  node.textContent = message;
  node.classList.toggle('error', isError);
}

function failed(panelId, error) {
  state(panelId, error instanceof ApiError ? error.toString() : `error: ${error.message}`, true);
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) $('#auth-state').textContent = `API key refused: ${error.toString()}`;
}

async function pollSeries() {
  try {
    const body = await getJson('series');
    $('#auth-state').textContent = '';
    const shown = [
      ['events-panel', events, body.events, 'no data yet: rates need two scrapes of a target'],
      ['lag-panel', lag, body.lag, 'no data yet: no target exposes kafka_consumer_lag'],
    ];
    for (const [panelId, chart, series, empty] of shown) {
      const points = chart.set(series);
      state(panelId, points > 0 ? `${series.length} series, one point every ${body.intervalMs / 1000} s` : empty);
    }
    const targets = $('#targets');
    targets.replaceChildren(
      ...body.targets.map((target) => element('span', `${target.name}: ${target.up === null ? 'not scraped yet' : target.up ? 'up' : `down (${target.error})`}  `, target.up === false ? 'down' : undefined)),
    );
  } catch (error) {
    failed('events-panel', error);
    failed('lag-panel', error);
  }
}

let selectedVersion = null;
let lastModels = null;

function showCurve() {
  const rows = lastModels?.versions ?? [];
  const row = rows.find((r) => r.version === selectedVersion) ?? rows.find((r) => r.champion && r.curve) ?? rows.find((r) => r.curve);
  $('#curve-version').textContent = row ? `of ${row.version}` : '';
  if (!row?.curve) {
    curve.set([], []);
    state('curve-panel', row ? `${row.version} has no training curve (trained before curves were kept, or not a scorer)` : 'no data yet: no version with a training curve');
    return;
  }
  curve.set(
    row.curve.map((point) => String(point.epoch)),
    [
      { label: 'loss', data: row.curve.map((point) => point.loss), borderColor: color(0), backgroundColor: color(0) },
      { label: 'validation loss', data: row.curve.map((point) => point.validationLoss), borderColor: color(1), backgroundColor: color(1) },
    ],
  );
  state('curve-panel', `${row.curve.length} epochs; click a version in the table to see its curve`);
}

async function pollModels() {
  try {
    const body = await getJson('models');
    lastModels = body;
    const tbody = $('#models-table tbody');
    tbody.replaceChildren(
      ...body.versions.map((row) => {
        const tr = element('tr');
        tr.dataset.version = row.version;
        tr.classList.toggle('selected', row.version === selectedVersion);
        const role = [row.champion ? 'champion' : null, row.serving && row.serving !== 'champion' ? row.serving : null].filter(Boolean).join(', ');
        const cells = [row.version, role || '–', metric(row.offline?.auc), metric(row.offline?.logLoss), row.offline?.examples ?? '–', row.online?.impressions ?? '–', percent(row.online?.ctr), percent(row.online?.conversion)];
        tr.replaceChildren(...cells.map((text, index) => element('td', String(text), index >= 2 ? 'num' : undefined)));
        tr.addEventListener('click', () => {
          selectedVersion = row.version;
          showCurve();
          for (const other of tbody.children) other.classList.toggle('selected', other.dataset.version === selectedVersion);
        });
        return tr;
      }),
    );
    const measured = body.versions.filter((row) => row.online && row.online.impressions > 0);
    online.set(
      measured.map((row) => row.version),
      [
        { label: 'CTR', data: measured.map((row) => row.online.ctr ?? 0), backgroundColor: color(0) },
        { label: 'conversion', data: measured.map((row) => row.online.conversion ?? 0), backgroundColor: color(2) },
      ],
    );
    const notes = [`${body.modelName}: ${body.versions.length} versions`, measured.length === 0 ? 'no online figures yet (no impressions)' : null, body.training ? `training: ${body.training.code}: ${body.training.message}` : null];
    state('models-panel', body.versions.length === 0 ? 'no data yet: no model version' : notes.filter(Boolean).join(' · '), body.training !== null);
    showCurve();
  } catch (error) {
    failed('models-panel', error);
    failed('curve-panel', error);
  }
}

async function preview(form) {
  const data = new FormData(form);
  state('preview-panel', 'asking…');
  try {
    const body = await getJson('preview', { user: data.get('user'), k: data.get('k'), store: data.get('store') });
    const list = $('#preview-list');
    list.replaceChildren(
      ...body.items.map((item) => {
        const li = element('li');
        li.append(element('strong', item.sku), ` ${fixed(item.score)} `, element('span', `${item.reason} · ${item.source}`, 'meta'));
        return li;
      }),
    );
    $('#known-skus').replaceChildren(...body.items.map((item) => Object.assign(element('option'), { value: item.sku })));
    state('preview-panel', body.items.length === 0 ? 'no item: every candidate was ruled out' : `${body.items.length} items from ${body.modelName} ${body.modelVersion} (${body.arm}${body.coldStart ? ', cold start' : ''})`);
  } catch (error) {
    $('#preview-list').replaceChildren();
    failed('preview-panel', error);
  }
}

/** Which learned policy a simulation replayed: without a promoted one the replenishment service replays the newest rejected run. */
function learnedPolicy(policy) {
  if (!policy?.version) return 'learned policy none';
  return policy.promoted === false ? `learned policy v${policy.version} (not promoted: rejected on held-out days)` : `learned policy v${policy.version}`;
}

async function simulate(form) {
  const data = new FormData(form);
  state('replenishment-panel', 'simulating…');
  try {
    const body = await getJson('replenishment', { sku: data.get('sku'), store: data.get('store'), days: data.get('days') });
    const days = body.series.map((point) => point.date ?? `day ${point.day}`);
    const points = replenishment.set(days, [
      { type: 'line', label: 'on hand, learned', data: body.series.map((p) => p.learned.onHand), borderColor: color(0), backgroundColor: color(0), pointRadius: 0 },
      { type: 'line', label: 'on hand, base-stock', data: body.series.map((p) => p.baseStock.onHand), borderColor: color(1), backgroundColor: color(1), pointRadius: 0 },
      { type: 'line', label: 'demand', data: body.series.map((p) => p.demand), borderColor: color(7), backgroundColor: color(7), borderDash: [4, 3], pointRadius: 0 },
      { type: 'bar', label: 'order, learned', data: body.series.map((p) => p.learned.order), backgroundColor: `${color(0)}88`, yAxisID: 'orders' },
      { type: 'bar', label: 'order, base-stock', data: body.series.map((p) => p.baseStock.order), backgroundColor: `${color(1)}88`, yAxisID: 'orders' },
    ]);
    const { learned, baseStock } = body.totals;
    $('#replenishment-totals').textContent = `cost: learned ${fixed(learned.cost, 2)} vs base-stock ${fixed(baseStock.cost, 2)} · fill rate: learned ${percent(learned.fillRate)} vs base-stock ${percent(baseStock.fillRate)}`;
    state('replenishment-panel', points > 0 ? `${body.days} days of ${body.sku} at ${body.store}, ${learnedPolicy(body.policy)}` : 'no data: the simulation has no day');
  } catch (error) {
    replenishment.set([], []);
    $('#replenishment-totals').textContent = '';
    failed('replenishment-panel', error);
  }
}

let pairsLoaded = false;

/** The pairs the replenishment service reviews, once per key: choosing one simulates it. */
async function loadPairs() {
  const select = $('#pair-select');
  try {
    const body = await getJson('replenishment/pairs');
    pairsLoaded = true;
    const placeholder = Object.assign(element('option', body.pairs.length > 0 ? `${body.pairs.length} pairs…` : 'none reviewed yet'), { value: '' });
    select.replaceChildren(placeholder, ...body.pairs.map((pair) => Object.assign(element('option', `${pair.sku} @ ${pair.store}`), { value: JSON.stringify(pair) })));
  } catch (error) {
    select.replaceChildren(Object.assign(element('option', 'unavailable'), { value: '' }));
    failed('replenishment-panel', error);
  }
}

function poll() {
  if (!apiKey()) {
    $('#auth-state').textContent = 'enter an API key with the admin scope';
    return;
  }
  void pollSeries();
  void pollModels();
  if (!pairsLoaded) void loadPairs();
}

$('#key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  setApiKey($('#api-key').value.trim());
  $('#auth-state').textContent = '';
  pairsLoaded = false;
  poll();
});
$('#preview-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void preview(event.target);
});
$('#pair-select').addEventListener('change', (event) => {
  if (!event.target.value) return;
  const pair = JSON.parse(event.target.value);
  const form = $('#replenishment-form');
  form.elements.sku.value = pair.sku;
  form.elements.store.value = pair.store;
  void simulate(form);
});
$('#replenishment-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void simulate(event.target);
});

$('#api-key').value = apiKey();
poll();
setInterval(poll, POLL_MS);
