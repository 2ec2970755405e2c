/**
 * The dashboard: one static page, plain DOM and SVG, fed by the server's WebSocket (`/ws`).
 * It draws the nodes and their links, each node's supervision trees (from parent pointers),
 * the busiest processes (by mailbox depth, then message rate), the latest crashes and
 * restarts; a click on a process shows its info, with a button to kill it.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Foundation dashboard</title>
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 8px 16px; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 16px; margin: 0; }
  main { display: grid; grid-template-columns: 1fr 320px; gap: 12px; padding: 12px; }
  section, aside { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 8px 12px; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: #5a6475; margin: 4px 0 8px; }
  .proc { cursor: pointer; }
  .proc rect { fill: #e8f0fe; stroke: #4a7bd0; }
  .proc.selected rect { fill: #ffe9a8; stroke: #c08a00; }
  .proc.busy rect { fill: #fde2e1; stroke: #c0392b; }
  .proc text { font-size: 11px; fill: #1d2330; }
  .edge { stroke: #9aa5b5; fill: none; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eef0f3; font-variant-numeric: tabular-nums; }
  #events li.crash { color: #c0392b; } #events li.restart { color: #1e7d3a; }
  #events { max-height: 220px; overflow: auto; padding-left: 18px; margin: 0; }
  button { background: #c0392b; color: #fff; border: 0; border-radius: 4px; padding: 4px 10px; cursor: pointer; }
  dt { color: #5a6475; } dd { margin: 0 0 4px 0; word-break: break-all; }
</style>
</head>
<body>
<header><h1>Foundation</h1><span id="status">connecting…</span></header>
<main>
  <div>
    <section><h2>Nodes and links</h2><svg id="cluster" width="420" height="220"></svg></section>
    <section><h2>Supervision trees</h2><div id="trees"></div></section>
    <section><h2>Busiest processes</h2><table id="busiest"><thead><tr><th>pid</th><th>process</th><th>mailbox</th><th>msgs/s</th></tr></thead><tbody></tbody></table></section>
  </div>
  <div>
    <aside id="info"><h2>Process</h2><p id="info-body">Click a process.</p></aside>
    <aside><h2>Crashes and restarts</h2><ul id="events"></ul></aside>
  </div>
</main>
<script>
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var selected = null;
  var view = null;
  var ws = null;
  var reqSeq = 0;
  var waiting = {};
  var token = new URLSearchParams(location.search).get('token');

  function el(tag, attrs, text) {
    var e = tag.indexOf('svg:') === 0 ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function label(p) { return p.name ? p.name : p.className; }
  function pidParts(pid) { var m = /\\.(\\d+)\\.(\\d+)>$/.exec(pid); return m ? Number(m[1]) : 0; }

  function drawCluster(v) {
    var svg = document.getElementById('cluster');
    svg.textContent = '';
    var names = v.nodes.map(function (n) { return n.node; }).concat(v.unreachable);
    var pos = {};
    names.forEach(function (n, i) {
      var a = (2 * Math.PI * i) / Math.max(1, names.length) - Math.PI / 2;
      pos[n] = { x: 210 + 70 * Math.cos(a), y: 100 + 70 * Math.sin(a) };
    });
    v.nodes.forEach(function (n) {
      n.peers.forEach(function (p) {
        if (pos[p] && n.node < p) svg.appendChild(el('svg:line', { class: 'link', 'data-a': n.node, 'data-b': p, x1: pos[n.node].x, y1: pos[n.node].y, x2: pos[p].x, y2: pos[p].y, stroke: '#4a7bd0', 'stroke-width': 2 }));
      });
    });
    names.forEach(function (n) {
      var snap = v.nodes.find(function (x) { return x.node === n; });
      var g = el('svg:g', { class: 'node', 'data-node': n });
      g.appendChild(el('svg:circle', { cx: pos[n].x, cy: pos[n].y, r: 18, fill: snap ? '#1d2330' : '#b0b7c3' }));
      g.appendChild(el('svg:text', { x: pos[n].x, y: pos[n].y + 34, 'text-anchor': 'middle' }, n + (snap ? ' (' + snap.stats.processes + ')' : ' ?')));
      svg.appendChild(g);
    });
  }

  var treeSig = '';
  function drawTrees(v) {
    // Redrawn only when what it shows changed: the boxes stay the same elements between updates.
    var sig = JSON.stringify([selected, v.nodes.map(function (n) { return [n.node, n.processes.map(function (p) { return [p.pid, p.name, p.className, p.parent, p.mailbox > 100]; })]; })]);
    if (sig === treeSig) return;
    treeSig = sig;
    var box = document.getElementById('trees');
    var keep = {};
    v.nodes.forEach(function (n) {
      var byPid = {};
      n.processes.forEach(function (p) { byPid[p.pid] = { p: p, kids: [] }; });
      var roots = [];
      n.processes.forEach(function (p) {
        var t = byPid[p.pid];
        if (p.parent && byPid[p.parent]) byPid[p.parent].kids.push(t); else if (p.className !== 'Inbox' && p.className !== 'TraceCollector') roots.push(t);
      });
      function order(a, b) { var la = label(a.p), lb = label(b.p); return la < lb ? -1 : la > lb ? 1 : pidParts(a.p.pid) - pidParts(b.p.pid); }
      var leaf = 0, depthMax = 0, W = 124, H = 46;
      function place(t, d) {
        t.kids.sort(order);
        t.d = d; depthMax = Math.max(depthMax, d);
        if (t.kids.length === 0) { t.x = leaf++; return; }
        t.kids.forEach(function (k) { place(k, d + 1); });
        t.x = (t.kids[0].x + t.kids[t.kids.length - 1].x) / 2;
      }
      roots.sort(order).forEach(function (r) { place(r, 0); });
      var svg = document.getElementById('tree-' + n.node);
      if (!svg) { svg = el('svg:svg', { class: 'tree', 'data-node': n.node, id: 'tree-' + n.node }); box.appendChild(svg); }
      svg.textContent = '';
      svg.setAttribute('width', Math.max(1, leaf) * W + 8);
      svg.setAttribute('height', (depthMax + 1) * H + 24);
      keep[svg.id] = true;
      svg.appendChild(el('svg:text', { x: 4, y: 14, 'font-weight': 'bold' }, n.node));
      function draw(t) {
        var x = 4 + t.x * W, y = 22 + t.d * H;
        t.kids.forEach(function (k) {
          svg.appendChild(el('svg:path', { class: 'edge', d: 'M' + (x + 56) + ' ' + (y + 26) + ' L' + (4 + k.x * W + 56) + ' ' + (22 + k.d * H) }));
          draw(k);
        });
        var cls = 'proc' + (t.p.pid === selected ? ' selected' : '') + (t.p.mailbox > 100 ? ' busy' : '');
        var g = el('svg:g', { class: cls, 'data-pid': t.p.pid, 'data-label': label(t.p) });
        g.appendChild(el('svg:rect', { x: x, y: y, width: 112, height: 26, rx: 4 }));
        g.appendChild(el('svg:text', { x: x + 56, y: y + 17, 'text-anchor': 'middle' }, label(t.p).slice(0, 18)));
        g.appendChild(el('svg:title', {}, t.p.pid));
        svg.appendChild(g);
      }
      roots.forEach(draw);
    });
    Array.prototype.slice.call(box.children).forEach(function (c) { if (!keep[c.id]) box.removeChild(c); });
  }

  function drawBusiest(v) {
    var rows = [];
    v.nodes.forEach(function (n) { n.processes.forEach(function (p) { rows.push(p); }); });
    rows.sort(function (a, b) { return b.mailbox - a.mailbox || b.rate - a.rate; });
    var tb = document.querySelector('#busiest tbody');
    tb.textContent = '';
    rows.slice(0, 10).forEach(function (p) {
      var tr = el('tr', { class: 'proc', 'data-pid': p.pid });
      [p.pid, label(p), String(p.mailbox), p.rate.toFixed(1)].forEach(function (c) { tr.appendChild(el('td', {}, c)); });
      tb.appendChild(tr);
    });
  }

  function drawEvents(v) {
    var all = [];
    v.nodes.forEach(function (n) { n.events.forEach(function (e) { all.push(Object.assign({ node: n.node }, e)); }); });
    all.sort(function (a, b) { return b.at - a.at; });
    var ul = document.getElementById('events');
    ul.textContent = '';
    all.forEach(function (e) {
      ul.appendChild(el('li', { class: e.type, 'data-pid': e.pid }, new Date(e.at).toLocaleTimeString() + ' ' + e.type + ' ' + e.pid + ' ' + e.detail));
    });
  }

  function render() {
    if (!view) return;
    drawCluster(view); drawTrees(view); drawBusiest(view); drawEvents(view);
    document.getElementById('status').textContent = view.nodes.length + ' node(s), updated ' + new Date(view.at).toLocaleTimeString();
    document.body.setAttribute('data-updated', String(view.at));
  }

  function ask(op, pid) {
    return new Promise(function (resolve) {
      var id = ++reqSeq;
      waiting[id] = resolve;
      ws.send(JSON.stringify({ id: id, op: op, pid: pid }));
    });
  }

  function showInfo(pid) {
    selected = pid;
    render();
    ask('info', pid).then(function (r) {
      var body = document.getElementById('info-body');
      body.textContent = '';
      if (!r.ok || !r.value) { body.textContent = r.ok ? pid + ' is gone' : r.error; return; }
      var dl = el('dl', { id: 'info-list' });
      var i = r.value;
      [['pid', i.pid], ['class', i.className], ['name', i.name || '-'], ['status', i.status], ['parent', i.parent || '-'], ['mailbox', i.mailbox], ['handled', i.handled], ['links', i.links.join(' ') || '-'], ['trap exit', i.trapExit]].forEach(function (kv) {
        dl.appendChild(el('dt', {}, kv[0])); dl.appendChild(el('dd', { 'data-field': kv[0] }, String(kv[1])));
      });
      body.appendChild(dl);
      var kill = el('button', { id: 'kill' }, 'Kill');
      kill.onclick = function () { ask('kill', pid).then(function (k) { document.getElementById('info-body').textContent = k.ok ? 'killed ' + pid : k.error; }); };
      body.appendChild(kill);
    });
  }

  document.addEventListener('click', function (ev) {
    var t = ev.target.closest ? ev.target.closest('[data-pid]') : null;
    if (t && t.classList.contains('proc')) showInfo(t.getAttribute('data-pid'));
  });

  function connect() {
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws' + (token ? '?token=' + encodeURIComponent(token) : ''));
    ws.onmessage = function (m) {
      var d = JSON.parse(m.data);
      if (d.view) { view = d.view; render(); }
      else if (d.id && waiting[d.id]) { waiting[d.id](d); delete waiting[d.id]; }
    };
    ws.onclose = function () { document.getElementById('status').textContent = 'disconnected, retrying…'; setTimeout(connect, 1000); };
  }
  connect();
})();
</script>
</body>
</html>
`;
