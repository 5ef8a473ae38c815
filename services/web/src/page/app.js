// The presence page: plain JavaScript against /api/v1, live changes over Server-Sent Events.
'use strict';
const $ = (id) => document.getElementById(id);
const LABEL = { available: 'Available', busy: 'Busy', 'do-not-disturb': 'Do not disturb', 'be-right-back': 'Be right back', away: 'Away', offline: 'Offline', unknown: 'Presence unknown' };
const state = { tokens: null, groups: [], contacts: [], presence: {}, source: null, lastEventId: undefined, refreshTimer: null };

function saveTokens(t) { state.tokens = t; try { sessionStorage.setItem('presence.tokens', JSON.stringify(t)); } catch { /* private mode */ } scheduleRefresh(); }

async function call(method, path, body) {
  const res = await fetch('/api/v1' + path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(state.tokens ? { authorization: 'Bearer ' + state.tokens.accessToken } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status === 401 && state.tokens && path !== '/sessions/refresh') {
    if (await refresh()) return call(method, path, body);
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error((data && data.title) || res.statusText);
  return data;
}

async function refresh() {
  try {
    const t = await call('POST', '/sessions/refresh', { refreshToken: state.tokens.refreshToken });
    saveTokens(t);
    return true;
  } catch { signedOut(); return false; }
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  if (!state.tokens) return;
  state.refreshTimer = setTimeout(() => { refresh().then((ok) => ok && openStream()); }, Math.max(5, state.tokens.expiresIn - 30) * 1000);
}

function text(tag, cls, content) { const e = document.createElement(tag); if (cls) e.className = cls; e.textContent = content; return e; }

function render() {
  const root = $('groups');
  root.replaceChildren();
  for (const g of state.groups) {
    const members = state.contacts.filter((c) => c.groups.includes(g.id));
    if (members.length === 0 && g.name === '~') continue;
    root.append(text('h3', '', g.name === '~' ? 'Other contacts' : g.name));
    const ul = document.createElement('ul');
    ul.className = 'contacts';
    ul.setAttribute('aria-label', g.name === '~' ? 'Other contacts' : g.name);
    for (const c of members) {
      const p = state.presence[c.uri] || { availabilityName: 'unknown' };
      const li = document.createElement('li');
      li.dataset.uri = c.uri;
      const dot = text('span', 'dot ' + p.availabilityName, '');
      dot.setAttribute('aria-hidden', 'true');
      const main = document.createElement('div');
      main.append(text('span', 'name', p.displayName || c.name || c.uri.replace(/^sip:/, '')), document.createTextNode(' '));
      const st = text('span', 'state ' + p.availabilityName, LABEL[p.availabilityName] + (p.activity && !/^(available|busy|away|offline)$/i.test(p.activity) ? ' – ' + p.activity : ''));
      st.dataset.availability = p.availabilityName;
      main.append(st);
      const details = [];
      if (p.note) details.push('“' + p.note + '”');
      if (p.lastActive) details.push('since ' + new Date(p.lastActive).toLocaleTimeString());
      const remove = text('button', 'link', 'Remove');
      remove.type = 'button';
      remove.setAttribute('aria-label', 'Remove ' + c.uri.replace(/^sip:/, ''));
      remove.addEventListener('click', () => call('DELETE', '/me/contacts/' + encodeURIComponent(c.uri)).catch((e) => ($('add-error').textContent = e.message)));
      li.append(dot, main, remove);
      if (details.length) li.append(text('span', 'detail', details.join(' · ')));
      ul.append(li);
    }
    root.append(ul);
  }
  if (state.contacts.length === 0) root.append(text('p', 'muted', 'No contacts yet.'));
}

function openStream() {
  if (state.source) state.source.close();
  const q = new URLSearchParams({ access_token: state.tokens.accessToken });
  if (state.lastEventId !== undefined) q.set('lastEventId', state.lastEventId);
  const es = new EventSource('/api/v1/stream?' + q);
  state.source = es;
  const track = (e) => { if (e.lastEventId) state.lastEventId = e.lastEventId; };
  es.addEventListener('open', () => ($('live').textContent = 'Live'));
  es.addEventListener('snapshot', (e) => {
    track(e);
    const d = JSON.parse(e.data);
    state.groups = d.groups; state.contacts = d.contacts; state.presence = {};
    for (const c of d.contacts) if (c.presence) state.presence[c.uri] = c.presence;
    render();
  });
  es.addEventListener('presence', (e) => { track(e); const p = JSON.parse(e.data); state.presence[p.uri] = p; render(); });
  es.addEventListener('contacts', (e) => { track(e); const d = JSON.parse(e.data); state.groups = d.groups; state.contacts = d.contacts; render(); });
  es.addEventListener('error', () => {
    $('live').textContent = 'Reconnecting…';
    // A refused reconnect (expired token) closes the source: get a new token and resume from the last event.
    if (es.readyState === EventSource.CLOSED) setTimeout(() => refresh().then((ok) => ok && openStream()), 1000);
  });
}

async function signedIn() {
  $('signin-view').hidden = true;
  $('app-view').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = 'Signed in as ' + state.tokens.user.replace(/^sip:/, '');
  openStream();
  try {
    const me = await call('GET', '/me/presence');
    if (me.availabilityName !== 'unknown') $('availability').value = me.availabilityName;
    if (me.note) $('note').value = me.note;
  } catch { /* shown as unknown */ }
  $('availability').focus();
}

function signedOut() {
  if (state.source) state.source.close();
  clearTimeout(state.refreshTimer);
  state.tokens = null; state.lastEventId = undefined;
  try { sessionStorage.removeItem('presence.tokens'); } catch { /* ignore */ }
  $('signin-view').hidden = false; $('app-view').hidden = true; $('signout').hidden = true; $('who').textContent = '';
}

$('signin').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('signin-error').textContent = '';
  try {
    saveTokens(await call('POST', '/sessions', { user: $('user').value.trim(), password: $('password').value }));
    $('password').value = '';
    await signedIn();
  } catch (err) { $('signin-error').textContent = err.message; $('password').focus(); }
});

$('me').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('me-status').textContent = 'Saving…';
  try {
    const p = await call('PUT', '/me/presence', { availability: $('availability').value, note: $('note').value });
    $('me-status').textContent = 'You are ' + LABEL[p.availabilityName].toLowerCase() + '.';
  } catch (err) { $('me-status').textContent = err.message; }
});

$('add').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('add-error').textContent = '';
  try { await call('POST', '/me/contacts', { uri: $('add-uri').value.trim() }); $('add-uri').value = ''; }
  catch (err) { $('add-error').textContent = err.message; }
});

$('signout').addEventListener('click', async () => { try { await call('DELETE', '/sessions/current'); } finally { signedOut(); $('user').focus(); } });

try {
  const saved = JSON.parse(sessionStorage.getItem('presence.tokens') || 'null');
  if (saved) { state.tokens = saved; refresh().then((ok) => ok && signedIn()); }
} catch { /* nothing saved */ }
