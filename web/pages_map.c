/* pages_map.c — the district office's map (GET /map): machines at their last known position,
 * those in a live work session, and open violations, refreshed every 15 s from GET
 * /map/data.json (store_office_map). No internet is assumed: without a tile server the script
 * draws an SVG of the community outlines (or the hull of each community's points) with the
 * points over them; with web_map_tiles set it uses Leaflet (served by this binary) with those
 * tiles, and only then does the page's CSP admit the tile server's origin for images. */
#include <stdlib.h>
#include <string.h>

#include "server/db/store_office.h"
#include "web/office.h"
#include "web/page.h"
#include "web/routes.h"

static const char map_js[] =
    "'use strict';\n"
    "// map.js: the office map (web/pages_map.c). #map's data-src is the JSON of the points;\n"
    "// with data-tiles, Leaflet over that tile server, else an SVG drawn here.\n"
    "(function () {\n"
    "  var box = document.getElementById('map');\n"
    "  if (!box) return;\n"
    "  var NS = 'http://www.w3.org/2000/svg', tiles = box.getAttribute('data-tiles');\n"
    "  var info = document.getElementById('map-status'), lmap = null, group = null;\n"
    "  var fitted = false;\n"
    "  function cross(o, a, b) {\n"
    "    return (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1]);\n"
    "  }\n"
    "  // the convex hull of [lat, lon] points (monotone chain); a padded box for fewer than 3\n"
    "  function hull(pts) {\n"
    "    pts = pts.slice().sort(function (a, b) { return a[1] - b[1] || a[0] - b[0]; });\n"
    "    var lo = [], up = [], i;\n"
    "    for (i = 0; i < pts.length; i++) {\n"
    "      while (lo.length > 1 && cross(lo[lo.length - 2], lo[lo.length - 1], pts[i]) <= 0)\n"
    "        lo.pop();\n"
    "      lo.push(pts[i]);\n"
    "    }\n"
    "    for (i = pts.length - 1; i >= 0; i--) {\n"
    "      while (up.length > 1 && cross(up[up.length - 2], up[up.length - 1], pts[i]) <= 0)\n"
    "        up.pop();\n"
    "      up.push(pts[i]);\n"
    "    }\n"
    "    var h = lo.slice(0, -1).concat(up.slice(0, -1));\n"
    "    if (h.length >= 3) return h;\n"
    "    var la = pts.map(function (p) { return p[0]; }), lg = pts.map(function (p) { return "
    "p[1]; });\n"
    "    var s = Math.min.apply(null, la) - 0.002, n = Math.max.apply(null, la) + 0.002;\n"
    "    var w = Math.min.apply(null, lg) - 0.002, e = Math.max.apply(null, lg) + 0.002;\n"
    "    return [[s, w], [s, e], [n, e], [n, w]];\n"
    "  }\n"
    "  // each community's outline: its own, else the hull of its points (none: not drawn)\n"
    "  function outlines(d) {\n"
    "    return d.communities.map(function (c) {\n"
    "      var ring = c.outline;\n"
    "      if (!ring) {\n"
    "        var pts = d.machines.concat(d.violations).filter(function (p) {\n"
    "          return p.community_id === c.id; }).map(function (p) { return [p.lat, p.lon]; });\n"
    "        ring = pts.length ? hull(pts) : null;\n"
    "      }\n"
    "      return {c: c, ring: ring};\n"
    "    }).filter(function (o) { return o.ring; });\n"
    "  }\n"
    "  function el(tag, attrs, title) {\n"
    "    var e = document.createElementNS(NS, tag);\n"
    "    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });\n"
    "    if (title) {\n"
    "      var t = document.createElementNS(NS, 'title');\n"
    "      t.textContent = title;\n"
    "      e.appendChild(t);\n"
    "    }\n"
    "    return e;\n"
    "  }\n"
    "  function drawSvg(d, rings) {\n"
    "    var all = [];\n"
    "    rings.forEach(function (o) { all = all.concat(o.ring); });\n"
    "    d.machines.concat(d.violations).forEach(function (p) { all.push([p.lat, p.lon]); });\n"
    "    if (!all.length) all = [[0, 0]];\n"
    "    var la = all.map(function (p) { return p[0]; }), lg = all.map(function (p) { return "
    "p[1]; });\n"
    "    var s = Math.min.apply(null, la), n = Math.max.apply(null, la);\n"
    "    var w = Math.min.apply(null, lg), e = Math.max.apply(null, lg);\n"
    "    var k = Math.cos((s + n) / 2 * Math.PI / 180), pad = 0.06;\n"
    "    var dx = Math.max((e - w) * k, 0.002), dy = Math.max(n - s, 0.002);\n"
    "    var W = 1000, H = Math.round(Math.min(Math.max(W * dy / dx, 400), 1600));\n"
    "    var sc = Math.min(W / dx, H / dy) * (1 - 2 * pad);\n"
    "    var ox = (W - (e - w) * k * sc) / 2, oy = (H - (n - s) * sc) / 2;\n"
    "    function xy(p) {\n"
    "      return [(ox + (p[1] - w) * k * sc).toFixed(1), (oy + (n - p[0]) * sc).toFixed(1)];\n"
    "    }\n"
    "    var svg = el('svg', {viewBox: '0 0 ' + W + ' ' + H, id: 'map-svg', role: 'img',\n"
    "      'aria-label': '\\u5730\\u56fe map'});\n"
    "    svg.appendChild(el('rect', {x: 0, y: 0, width: W, height: H, fill: '#eef2f0'}));\n"
    "    rings.forEach(function (o) {\n"
    "      var pts = o.ring.map(function (p) { return xy(p).join(','); }).join(' ');\n"
    "      svg.appendChild(el('polygon', {points: pts, 'class': 'community', fill: '#dfe8f5',\n"
    "        stroke: '#3c5a99', 'stroke-width': 3, 'data-id': o.c.id}, o.c.name));\n"
    "      var c = xy(o.ring.reduce(function (a, p) { return [a[0] + p[0] / o.ring.length,\n"
    "        a[1] + p[1] / o.ring.length]; }, [0, 0]));\n"
    "      var t = el('text', {x: c[0], y: c[1], 'text-anchor': 'middle', 'font-size': 28,\n"
    "        fill: '#3c5a99'});\n"
    "      t.textContent = o.c.name;\n"
    "      svg.appendChild(t);\n"
    "    });\n"
    "    d.machines.forEach(function (m) {\n"
    "      var c = xy([m.lat, m.lon]);\n"
    "      svg.appendChild(el('circle', {cx: c[0], cy: c[1], r: m.live ? 12 : 9,\n"
    "        'class': m.live ? 'machine live' : 'machine', fill: m.live ? '#1e7d32' : '#5f6368',\n"
    "        stroke: '#fff', 'stroke-width': 2}, m.chip + ' ' + m.enterprise +\n"
    "        (m.live ? ' (\\u4f5c\\u4e1a\\u4e2d working)' : '')));\n"
    "    });\n"
    "    d.violations.forEach(function (v) {\n"
    "      var c = xy([v.lat, v.lon]), x = +c[0], y = +c[1];\n"
    "      svg.appendChild(el('polygon', {points: [x, y - 16, x - 14, y + 10, x + 14, y + 10]\n"
    "        .join(' '), 'class': 'violation', fill: '#b3261e', stroke: '#fff',\n"
    "        'stroke-width': 2}, v.kind + (v.chip ? ' ' + v.chip : '')));\n"
    "    });\n"
    "    box.replaceChildren(svg);\n"
    "  }\n"
    "  // a tooltip's text as a text node: Leaflet sets a string as HTML\n"
    "  function tip(text) {\n"
    "    var s = document.createElement('span');\n"
    "    s.textContent = text;\n"
    "    return s;\n"
    "  }\n"
    "  function drawLeaflet(d, rings) {\n"
    "    if (!lmap) {\n"
    "      lmap = L.map(box);\n"
    "      L.tileLayer(tiles, {maxZoom: 19, attribution: ''}).addTo(lmap);\n"
    "      group = L.featureGroup().addTo(lmap);\n"
    "    }\n"
    "    group.clearLayers();\n"
    "    rings.forEach(function (o) {\n"
    "      L.polygon(o.ring, {color: '#3c5a99', weight: 2}).bindTooltip(tip(o.c.name))\n"
    "        .addTo(group);\n"
    "    });\n"
    "    d.machines.forEach(function (m) {\n"
    "      L.circleMarker([m.lat, m.lon], {radius: m.live ? 8 : 6, color: '#fff',\n"
    "        fillColor: m.live ? '#1e7d32' : '#5f6368', fillOpacity: 1,\n"
    "        className: m.live ? 'machine live' : 'machine'})\n"
    "        .bindTooltip(tip(m.chip + ' ' + m.enterprise)).addTo(group);\n"
    "    });\n"
    "    d.violations.forEach(function (v) {\n"
    "      L.circleMarker([v.lat, v.lon], {radius: 7, color: '#fff', fillColor: '#b3261e',\n"
    "        fillOpacity: 1, className: 'violation'}).bindTooltip(tip(v.kind)).addTo(group);\n"
    "    });\n"
    "    // the view is fitted once: a refresh keeps where the person has zoomed to\n"
    "    if (!fitted && group.getLayers().length)\n"
    "      lmap.fitBounds(group.getBounds(), {padding: [20, 20]});\n"
    "    else if (!fitted) lmap.setView([0, 0], 2);\n"
    "    fitted = true;\n"
    "  }\n"
    "  function show(d) {\n"
    "    var rings = outlines(d), live = d.machines.filter(function (m) { return m.live; });\n"
    "    box.setAttribute('data-machines', d.machines.length);\n"
    "    box.setAttribute('data-live', live.length);\n"
    "    box.setAttribute('data-violations', d.violations.length);\n"
    "    box.setAttribute('data-outlines', rings.length);\n"
    "    if (tiles && window.L) drawLeaflet(d, rings); else drawSvg(d, rings);\n"
    "    info.textContent = '\\u710a\\u673a ' + d.machines.length + ' machines, \\u4f5c\\u4e1a"
    "\\u4e2d ' + live.length + ' working, \\u672a\\u5904\\u7406\\u8fdd\\u89c4 ' +\n"
    "      d.violations.length + ' open violations, \\u65e0\\u4f4d\\u7f6e ' + d.unplaced +\n"
    "      ' without a position';\n"
    "  }\n"
    "  function load() {\n"
    "    fetch(box.getAttribute('data-src'), {credentials: 'same-origin'})\n"
    "      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })\n"
    "      .then(show)\n"
    "      .catch(function () { info.textContent = '\\u5730\\u56fe\\u6570\\u636e\\u6682\\u4e0d"
    "\\u53ef\\u7528 map data not available'; });\n"
    "  }\n"
    "  load();\n"
    "  setInterval(load, 15000);\n"
    "})();\n";

static void map_js_fn(web_call *call, http_response *resp)
{
    (void)call;
    web_static(resp, "text/javascript; charset=utf-8", map_js, sizeof(map_js) - 1);
}

static void page_map_fn(web_call *call, http_response *resp)
{
    const char *tiles = web_config(call)->web_map_tiles;
    bool tiled =
        tiles[0] && config_tile_origin(tiles, resp->img_origin, sizeof(resp->img_origin)) == 0;
    textbuf b = {0};
    page_begin(&b, "地图", "Map");
    /* the lag of the standby data.json will read from, as of the page */
    web_db_put(call, web_db_get_read(call), 0);
    web_staleness(&b, call);
    if (tiled)
        page_raw(&b, "<link rel=\"stylesheet\" href=\"/static/vendor/leaflet.css\">"
                     "<script src=\"/static/vendor/leaflet.js\" defer></script>");
    page_raw(&b, "<section class=\"card\"><div id=\"map\" class=\"");
    page_raw(&b, tiled ? "map map-tiles" : "map");
    page_raw(&b, "\" data-src=\"/map/data.json\"");
    if (tiled) {
        page_raw(&b, " data-tiles=\"");
        page_text(&b, tiles);
        page_raw(&b, "\"");
    }
    page_raw(&b, "></div><p id=\"map-status\" aria-live=\"polite\">载入中<span class=\"en\">"
                 "loading</span></p><p class=\"legend\"><span class=\"dot\"></span>焊机<span "
                 "class=\"en\">machine</span> <span class=\"dot live\"></span>作业中<span "
                 "class=\"en\">in a work session</span> <span class=\"tri\"></span>未处理违规"
                 "<span class=\"en\">open violation</span></p></section>"
                 "<nav class=\"card\"><a href=\"/office\">统计报表<span class=\"en\">counts and "
                 "reports</span></a></nav><script src=\"/static/map.js\" defer></script>");
    page_finish(&b, 200, resp);
}

static void map_data_fn(web_call *call, http_response *resp)
{
    store *db = web_db_get_read(call);
    admin_outcome out;
    store_office_map(db, office_scope(call), &out);
    web_db_put(call, db, out.status != STORE_OK ? -1 : 0);
    if (out.status != STORE_OK || !out.json) {
        admin_outcome_deinit(&out);
        resp->status = 503;
        resp->content_type = "application/json; charset=utf-8";
        resp->body = (char *)"{\"error\": \"the database is not available\"}\n";
        resp->len = strlen(resp->body);
        resp->body_static = true;
        return;
    }
    office_give(resp, "application/json; charset=utf-8", out.json, out.json_len); /* handed over */
}

static const web_route web_map_table[] = {
    {"GET", "/static/map.js", GATE_PUBLIC, ACCESS_READ, map_js_fn},
    {"GET", "/map", GATE_ROLE, ACCESS_DISTRICT, page_map_fn},
    {"GET", "/map/data.json", GATE_ROLE, ACCESS_DISTRICT, map_data_fn},
};

const web_routes web_routes_map = WEB_ROUTES(web_map_table);
