// Lifespan console: plain JavaScript, no build step, no third-party code. Every value from the server is put in the page
// with textContent (never as HTML). The access token lives in an HttpOnly cookie this script cannot read; POSTs carry the
// CSRF token the server hands out with the session.
'use strict';

const API = '/console/api';
const state = { csrf: null, signedIn: false, alerts: null, alertCount: 0, auditCursor: null, auditParams: null, sessionsNext: null,
  lag: {}, lagSeries: {}, timers: [] };

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k.startsWith('data-')) e.setAttribute(k, v); else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return e;
}

function time(iso) { return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''; }
function short(id) { return id && id.length > 12 ? id.slice(0, 12) + '…' : (id || ''); }

class SignedOut extends Error {}

async function api(path, options = {}) {
  const init = { method: options.method || 'GET', credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
  if (init.method !== 'GET') {
    init.headers['Content-Type'] = 'application/json';
    init.headers['X-CSRF-Token'] = state.csrf || '';
    init.body = JSON.stringify(options.body || {});
  }
  const response = await fetch(API + path, init);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (response.status === 401 && body && body.error === 'signed_out') {
    signInLost(capitalize(body.error_description));
    throw new SignedOut(body.error_description);
  }
  if (!response.ok) {
    const why = body && body.error_description ? body.error_description : 'HTTP ' + response.status;
    throw new Error(why + (body && body.field ? ' (field ' + body.field + ')' : ''));
  }
  return body;
}

function capitalize(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }

function message(text, ok) {
  const m = $('app-message');
  m.textContent = text || '';
  m.className = 'message' + (ok ? ' ok' : '');
}

function failed(e) { if (!(e instanceof SignedOut)) message(e.message); }

// ------------------------------------------------------------------ sign-in

async function loadSession() {
  const s = await api('/session');
  state.csrf = s.csrf;
  if (s.signed_in) showApp(s); else showSignIn(s.message ? capitalize(s.message) : '');
}

/**
 * A live update or request found the sign-in gone. Only the first says why: one that was on its way when the operator
 * signed out (or when another already found it gone) must not replace that message.
 */
function signInLost(text) {
  if (state.signedIn) showSignIn(text);
}

function showSignIn(text) {
  state.signedIn = false;
  stopLive();
  $('app').hidden = true;
  $('whoami').hidden = true;
  $('signin').hidden = false;
  $('signin-message').textContent = text || '';
  // A fresh CSRF token for the next sign-in (the server renewed or cleared the cookies).
  fetch(API + '/session', { credentials: 'same-origin' }).then(r => r.json()).then(s => { state.csrf = s.csrf; }).catch(() => {});
}

function showApp(s) {
  state.signedIn = true;
  $('signin').hidden = true;
  $('app').hidden = false;
  $('whoami').hidden = false;
  $('whoami-text').textContent = 'Signed in as ' + s.client_id + ' · token ' + (s.token_id_hint || '') + ' until ' + time(s.expires_at);
  startLive();
}

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('signin-button').disabled = true;
  $('signin-message').textContent = '';
  try {
    const s = await api('/sign-in', { method: 'POST', body: { client_id: $('client-id').value, client_secret: $('client-secret').value } });
    $('client-secret').value = '';
    state.csrf = s.csrf;
    showApp(s);
  } catch (e) {
    $('signin-message').textContent = e.message;
    const s = await api('/session').catch(() => null);
    if (s) state.csrf = s.csrf;
  } finally {
    $('signin-button').disabled = false;
  }
});

$('signout').addEventListener('click', async () => {
  // Live updates stop before the token is revoked, so that none of them reports the revocation as a sign-in lost.
  state.signedIn = false;
  stopLive();
  let text = 'Signed out.';
  try { const s = await api('/sign-out', { method: 'POST' }); state.csrf = s.csrf; text = s.message || text; } catch (e) { /* signed out either way */ }
  showSignIn(text);
});

// ------------------------------------------------------------------ tabs

document.querySelectorAll('#tabs button').forEach(b => b.addEventListener('click', () => openTab(b.dataset.tab)));

function openTab(name) {
  document.querySelectorAll('#tabs button').forEach(b => b.classList.toggle('active', b.dataset.tab === name));
  document.querySelectorAll('.tab').forEach(t => { t.hidden = t.id !== 'tab-' + name; });
  message('');
  if (name === 'alerts') { state.alertCount = 0; $('alert-badge').hidden = true; }
  if (name === 'audit') loadChain();
  if (name === 'revocation') loadRevocation();
  if (name === 'charts') { loadActivity(); drawLag(); }
}

// ------------------------------------------------------------------ subject

$('subject-form').addEventListener('submit', (event) => { event.preventDefault(); message(''); loadSubject($('subject-input').value.trim()); });

async function loadSubject(subject) {
  if (!subject) return;
  try {
    const [sessions, events] = await Promise.all([api(sessionsPath(subject, null)), subjectEvents(subject)]);
    $('subject-name').textContent = subject;
    $('subject-view').hidden = false;
    $('sessions-table').tBodies[0].replaceChildren();
    showSessions(subject, sessions);
    fillEvents($('subject-events').tBodies[0], events.events, false);
  } catch (e) { failed(e); }
}

function sessionsPath(subject, pageToken) {
  return '/subjects/' + encodeURIComponent(subject) + '/sessions' + (pageToken ? '?page_token=' + encodeURIComponent(pageToken) : '');
}

function subjectEvents(subject) {
  return api('/events?order=newest&limit=100&subject=' + encodeURIComponent(subject) + '&from=' + new Date(Date.now() - 86400000).toISOString());
}

async function reloadSubjectEvents(subject) {
  try {
    const events = await subjectEvents(subject);
    if ($('subject-name').textContent === subject) fillEvents($('subject-events').tBodies[0], events.events, false);
  } catch (e) { failed(e); }
}

function sessionRow(subject, s) {
  const end = el('button', { type: 'button', class: 'end-session danger' }, 'End');
  end.disabled = s.state !== 'ACTIVE';
  end.addEventListener('click', () => endSession(subject, s.session_id, end));
  return el('tr', { 'data-session-id': s.session_id, class: 'state-' + s.state },
    el('td', { class: 'mono', title: s.session_id }, short(s.session_id)), el('td', {}, s.device_id || '—'), el('td', {}, s.client_id),
    el('td', {}, time(s.created_at)), el('td', {}, time(s.last_activity_at)),
    el('td', {}, el('span', { class: 'state ' + s.state }, s.state), s.revoke_reason ? ' · ' + s.revoke_reason : ''), el('td', {}, end));
}

// Appends a page of sessions (newest first) and offers the next, older page when the issuer says there is one.
function showSessions(subject, page) {
  const body = $('sessions-table').tBodies[0];
  for (const s of page.sessions) body.append(sessionRow(subject, s));
  if (!body.rows.length) body.append(el('tr', {}, el('td', { colSpan: 7 }, 'No sessions.')));
  state.sessionsNext = page.next_page_token || null;
  const more = $('sessions-more');
  more.hidden = !state.sessionsNext;
  more.disabled = false;
  updateEndAll(subject);
}

// Ending all is one call that ends every active session of the subject, listed or not.
function updateEndAll(subject) {
  const active = $('sessions-table').tBodies[0].querySelectorAll('tr.state-ACTIVE').length;
  const endAll = $('end-all');
  endAll.disabled = active === 0 && !state.sessionsNext;
  endAll.textContent = 'End all active sessions (' + active + (state.sessionsNext ? ' listed, maybe more' : '') + ')';
  endAll.dataset.subject = subject;
  endAll.dataset.armed = '';
}

$('sessions-more').addEventListener('click', async () => {
  const b = $('sessions-more');
  const subject = $('subject-name').textContent;
  if (!state.sessionsNext) return;
  b.disabled = true;
  try {
    const page = await api(sessionsPath(subject, state.sessionsNext));
    if ($('subject-name').textContent === subject) showSessions(subject, page);
  } catch (e) { failed(e); b.disabled = false; }
});

async function endSession(subject, sessionId, button) {
  button.disabled = true;
  try {
    const r = await api('/sessions/' + encodeURIComponent(sessionId) + '/end', { method: 'POST', body: {} });
    for (const s of r.ended) {
      const row = $('sessions-table').querySelector('tr[data-session-id="' + CSS.escape(s.session_id) + '"]');
      if (row) row.replaceWith(sessionRow(subject, s));
    }
    updateEndAll(subject);
    message('Session ' + short(sessionId) + ' ended; every validating node now refuses its tokens.', true);
    await reloadSubjectEvents(subject);
    // The issuer's relay ships SESSION_ENDED within about a second: look again for it.
    setTimeout(() => { if ($('subject-name').textContent === subject) reloadSubjectEvents(subject); }, 2000);
  } catch (e) { failed(e); button.disabled = false; }
}

$('end-all').addEventListener('click', async () => {
  const b = $('end-all');
  if (!b.dataset.armed) {
    b.dataset.armed = 'yes';
    b.textContent = 'Click again to end every active session of ' + b.dataset.subject;
    setTimeout(() => { if (b.dataset.armed) updateEndAll(b.dataset.subject); }, 5000);
    return;
  }
  const subject = b.dataset.subject;
  b.dataset.armed = '';
  b.disabled = true;
  try {
    const r = await api('/subjects/' + encodeURIComponent(subject) + '/end-all', { method: 'POST', body: {} });
    message(r.ended_count + ' session(s) ended; every validating node now refuses their tokens.', true);
    await loadSubject(subject);
    setTimeout(() => { if ($('subject-name').textContent === subject) reloadSubjectEvents(subject); }, 2000);
  } catch (e) { failed(e); b.disabled = false; }
});

function detail(e) {
  const parts = [];
  if (e.validation_failure) parts.push(e.validation_failure);
  if (e.source_ip) parts.push('from ' + e.source_ip);
  if (e.token_id) parts.push('jti ' + short(e.token_id));
  const attrs = e.attributes || {};
  for (const [k, v] of Object.entries(attrs).slice(0, 6)) parts.push(k + '=' + (typeof v === 'object' ? JSON.stringify(v) : v));
  return parts.join(' · ');
}

function fillEvents(body, events, withSubject) {
  body.replaceChildren();
  for (const e of events) {
    const cells = [el('td', {}, e.sequence), el('td', {}, time(e.occurred_at)), el('td', { class: 'mono' }, e.type)];
    if (withSubject) cells.push(el('td', {}, e.subject || ''));
    cells.push(el('td', { class: 'mono', title: e.session_id || '' }, short(e.session_id)), el('td', {}, e.client_id || ''),
      el('td', { class: 'mono' }, detail(e)));
    body.append(el('tr', { 'data-type': e.type }, ...cells));
  }
  if (!events.length) body.append(el('tr', {}, el('td', { colSpan: withSubject ? 7 : 6 }, 'No events.')));
}

// ------------------------------------------------------------------ alerts

function startLive() {
  stopLive();
  $('alerts-list').replaceChildren();
  const source = new EventSource(API + '/alerts');
  state.alerts = source;
  source.onopen = () => { $('alerts-state').textContent = '· live'; };
  source.onmessage = (event) => {
    const a = JSON.parse(event.data);
    if (a.keep_alive) return;
    addAlert(a);
  };
  source.onerror = () => {
    $('alerts-state').textContent = '· reconnecting';
    // The stream ends when the sign-in expires: ask whether we are still signed in.
    api('/session').then(s => { if (!s.signed_in) signInLost(s.message ? capitalize(s.message) : 'Your sign-in ended; sign in again.'); })
      .catch(() => {});
  };
  // Node figures every 5 s (cheap: readiness and metrics); the whole rule snapshot only while its tab is open, every 15 s.
  state.timers.push(setInterval(pollLag, 5000));
  state.timers.push(setInterval(() => { if (!$('tab-revocation').hidden) loadRevocation(); }, 15000));
  state.timers.push(setInterval(() => { if (!$('tab-charts').hidden) loadActivity(); }, 30000));
  pollLag();
}

function stopLive() {
  if (state.alerts) { state.alerts.close(); state.alerts = null; }
  state.timers.forEach(clearInterval);
  state.timers = [];
}

function addAlert(a) {
  const list = $('alerts-list');
  if (list.querySelector('[data-alert-id="' + CSS.escape(a.alert_id) + '"]')) return;
  const item = el('li', { 'data-alert-id': a.alert_id, 'data-rule': a.rule, class: a.severity + ' fresh' },
    el('div', {}, el('span', { class: 'rule' }, a.rule), ' · ', a.severity, ' · ', time(a.raised_at)),
    el('div', {}, 'subject ', el('b', { class: 'alert-subject' }, a.subject || '—'), a.session_id ? ' · session ' + short(a.session_id) : '',
      a.client_id ? ' · client ' + a.client_id : '', a.source_ip ? ' · from ' + a.source_ip : ''),
    el('div', {}, a.summary || ''),
    el('div', { class: 'action' }, 'action: ' + (a.action_taken || 'alert only')));
  list.prepend(item);
  while (list.children.length > 200) list.lastChild.remove();
  if ($('tab-alerts').hidden) { state.alertCount++; $('alert-badge').textContent = state.alertCount; $('alert-badge').hidden = false; }
}

// ------------------------------------------------------------------ audit

async function loadChain() {
  try {
    const c = await api('/chain');
    const p = $('chain-status');
    p.replaceChildren();
    if (!c.head_sequence) { p.textContent = 'No events yet.'; return; }
    p.append(el('span', { class: c.intact ? 'intact' : 'broken' }, c.intact ? 'Intact' : 'Broken'),
      c.intact ? ': verified up to event ' + c.verified_to + ' (head ' + c.head_sequence + '), ' + c.checked + ' events checked from ' + c.anchor
        : ': first break at event ' + c.first_break.sequence + ' (' + c.first_break.kind + '): ' + c.first_break.problem,
      c.checkpoint ? '; newest checkpoint at event ' + c.checkpoint.sequence + ', signed ' + time(c.checkpoint.signed_at)
        + ' (key ' + c.checkpoint.key_id + ')' : '; no checkpoint signed yet');
  } catch (e) { failed(e); }
}

$('audit-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData($('audit-form'));
  const params = new URLSearchParams();
  for (const [k, v] of form.entries()) {
    if (!v) continue;
    params.set(k, (k === 'from' || k === 'to') ? new Date(v + 'Z').toISOString() : v);
  }
  state.auditParams = params;
  state.auditCursor = null;
  searchAudit();
});

$('audit-more').addEventListener('click', () => searchAudit());

async function searchAudit() {
  const params = new URLSearchParams(state.auditParams);
  if (state.auditCursor) params.set('cursor', state.auditCursor);
  try {
    const page = await api('/events?' + params.toString());
    fillEvents($('audit-results').tBodies[0], page.events, true);
    state.auditCursor = page.next_cursor || null;
    $('audit-more').hidden = !state.auditCursor;
  } catch (e) { failed(e); }
}

// ------------------------------------------------------------------ revocation

async function loadRevocation() {
  try {
    const r = await api('/revocation');
    $('feed-sequence').textContent = 'Feed sequence ' + r.sequence + ' · ' + r.total + ' live rules · read ' + time(r.read_at);
    const counts = $('revocation-counts');
    counts.replaceChildren();
    for (const [kind, n] of Object.entries(r.counts)) counts.append(el('li', { 'data-kind': kind }, el('b', {}, n), kind.toLowerCase()));
    noteLag(r.nodes);
    fillNodes(r.nodes);
    const rules = $('rules-table').tBodies[0];
    rules.replaceChildren();
    for (const rule of r.newest) {
      rules.append(el('tr', {}, el('td', {}, rule.sequence), el('td', {}, rule.kind), el('td', { class: 'mono' }, rule.value),
        el('td', {}, time(rule.created_at)), el('td', {}, rule.reason)));
    }
  } catch (e) { failed(e); }
}

function fillNodes(list) {
  const nodes = $('nodes-table').tBodies[0];
  nodes.replaceChildren();
  for (const n of list) {
    const mean = state.lag[n.name] && state.lag[n.name].recentMs != null ? state.lag[n.name].recentMs.toFixed(1) + ' ms' : '—';
    nodes.append(el('tr', { 'data-node': n.name },
      el('td', {}, n.name), el('td', {}, n.state + (n.problem ? ' (' + n.problem + ')' : '')), el('td', {}, n.sequence ?? '—'),
      el('td', {}, n.behind ?? '—'), el('td', {}, n.rules ?? '—'),
      el('td', {}, n.propagation_p99_seconds != null ? '≤ ' + (n.propagation_p99_seconds * 1000) + ' ms' : '—'),
      el('td', {}, mean), el('td', {}, n.propagation_count ?? '—')));
  }
}

$('revoke-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData($('revoke-form'));
  try {
    const r = await api('/revocations', { method: 'POST', body: { kind: form.get('kind'), value: form.get('value'), reason: form.get('reason') } });
    message('Revoked: ' + r.rule.kind.toLowerCase() + ' ' + r.rule.value + ' (sequence ' + r.rule.sequence + ').', true);
    loadRevocation();
  } catch (e) { failed(e); }
});

// Propagation lag between two reads of a node's histogram: the mean of the rules it applied in between.
async function pollLag() {
  try {
    const r = await api('/nodes');
    noteLag(r.nodes);
    if (!$('tab-revocation').hidden) fillNodes(r.nodes);
  } catch (e) { /* shown on the revocation tab */ }
}

function noteLag(nodes) {
  const now = Date.now();
  for (const n of nodes) {
    if (n.propagation_count == null) continue;
    const before = state.lag[n.name];
    const entry = { count: n.propagation_count, sum: n.propagation_sum_seconds || 0, recentMs: before ? before.recentMs : null };
    if (before && n.propagation_count > before.count) {
      entry.recentMs = (entry.sum - before.sum) / (n.propagation_count - before.count) * 1000;
      (state.lagSeries[n.name] = state.lagSeries[n.name] || []).push([now, entry.recentMs]);
    }
    state.lag[n.name] = entry;
  }
  for (const s of Object.values(state.lagSeries)) while (s.length && s[0][0] < now - 600000) s.shift();
  if (!$('tab-charts').hidden) drawLag();
}

// ------------------------------------------------------------------ charts

const COLORS = ['#2f5fd0', '#12b76a', '#d92d20', '#f79009', '#7a5af8', '#0ba5ec'];
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

// Lines over a shared x axis: series is [{name, points: [[x, y], ...]}]; x and y are numbers, xLabel formats x.
function lineChart(container, series, xLabel, yUnit, xRange) {
  const W = 900, H = 260, L = 50, R = 160, T = 10, B = 28;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
  const all = series.flatMap(s => s.points);
  if (!all.length) {
    root.append(svg('text', { x: L, y: H / 2 }, 'No data yet.'));
    container.replaceChildren(root);
    return;
  }
  const xs = all.map(p => p[0]), ys = all.map(p => p[1]);
  const x0 = xRange ? xRange[0] : Math.min(...xs), x1 = xRange ? xRange[1] : Math.max(...xs, x0 + 1), yMax = Math.max(1, ...ys) * 1.1;
  const X = x => L + (x - x0) / (x1 - x0) * (W - L - R), Y = y => H - B - y / yMax * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const v = yMax * i / 4;
    root.append(svg('line', { x1: L, x2: W - R, y1: Y(v), y2: Y(v), stroke: '#eef1f6' }));
    root.append(svg('text', { x: L - 6, y: Y(v) + 4, 'text-anchor': 'end' }, (v >= 10 ? Math.round(v) : v.toFixed(1)) + (yUnit || '')));
  }
  for (let i = 0; i <= 4; i++) {
    const x = x0 + (x1 - x0) * i / 4;
    root.append(svg('text', { x: X(x), y: H - 8, 'text-anchor': 'middle' }, xLabel(x)));
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    if (s.points.length) {
      root.append(svg('polyline', { points: s.points.map(p => X(p[0]) + ',' + Y(p[1])).join(' '), fill: 'none', stroke: color, 'stroke-width': 2,
        'data-series': s.name }));
      // Sparse series (a lag point only when rules were applied) need their points marked to be seen at all.
      if (s.points.length < 120) {
        for (const p of s.points) if (p[1] > 0) root.append(svg('circle', { cx: X(p[0]), cy: Y(p[1]), r: 3, fill: color }));
      }
    }
    root.append(svg('rect', { x: W - R + 12, y: T + i * 18, width: 10, height: 10, fill: color }));
    const total = s.points.reduce((a, p) => a + p[1], 0);
    root.append(svg('text', { x: W - R + 28, y: T + i * 18 + 9 }, s.name + (s.total ? ' (' + Math.round(total) + ')' : '')));
  });
  container.replaceChildren(root);
}

async function loadActivity() {
  try {
    const minutes = $('activity-minutes').value;
    const a = await api('/activity?minutes=' + encodeURIComponent(minutes));
    const start = Date.parse(a.from);
    const names = { TOKEN_ISSUED: 'issued', TOKEN_REFRESHED: 'refreshed', REFRESH_TOKEN_REUSED: 'reused', VALIDATION_FAILED: 'validation failures' };
    const series = Object.entries(a.series).map(([type, values]) => ({ name: names[type] || type, total: true,
      points: values.map((v, i) => [start + i * 60000, v]) }));
    lineChart($('activity-chart'), series, x => new Date(x).toISOString().slice(11, 16), '');
  } catch (e) { failed(e); }
}

$('activity-minutes').addEventListener('change', loadActivity);

function drawLag() {
  const series = Object.entries(state.lagSeries).map(([name, points]) => ({ name, points }));
  // The last 10 minutes up to now (the page measures while it is open: a point when a node applied rules between reads).
  const now = Date.now();
  lineChart($('lag-chart'), series, x => new Date(x).toISOString().slice(11, 19), ' ms', [now - 600000, now]);
}

loadSession().catch(e => showSignIn(e.message));
