// office.js — the district office's pages in headless Chromium (puppeteer-core): the counts
// table and its SVG charts, the overdue page and the map at 1280 x 800 and at a phone's 360 x 640.
// Every request must go to the server itself (or, when given, the tile server); no CSP
// violation may appear. Run by tests/integration/test-web-office.sh:
//   node office.js BASE_URL LOGIN PASSWORD SHOT_DIR TILE_ORIGIN
// TILE_ORIGIN empty: the map is the SVG drawn without tiles; else Leaflet over that tile server.
'use strict';
const path = require('path');
const { check, fits, runJourney } = require('./lib');

const [base, login, password, shots, tileOrigin] = process.argv.slice(2);

const count = (page, sel) => page.$$eval(sel, (l) => l.length);

async function counts(page) {
    await page.goto(base + '/office', { waitUntil: 'networkidle0' });
    const rows = await page.$$eval('#counts tbody th', (l) => l.map((e) => e.textContent));
    check(rows.join(',') === '东街社区,西街社区,北街社区', 'the counts table has a row per community: ' + rows);
    check((await count(page, 'svg.bars')) === 3, 'three bar charts drawn as inline SVG');
    const bars = await page.$$eval('svg.bars[data-measure="machines.active"] rect.bar', (l) =>
        l.map((e) => e.getBoundingClientRect().width));
    check(bars.length === 3 && bars[0] > 0 && bars[0] === bars[1] && bars[2] === 0,
        'the machines chart: equal bars for 2 and 2, none for 0 (' + bars.map(Math.round) + ')');
    await page.screenshot({ path: path.join(shots, 'web-office-counts.png'), fullPage: true });
    await page.select('#by', 'industry');
    await Promise.all([page.waitForNavigation(), page.click('#query button')]);
    const industries = await page.$$eval('#counts tbody th', (l) => l.map((e) => e.textContent));
    check(industries.includes('C 制造业'), 'the form asks by industry: ' + industries);
    await page.select('#by', 'enterprise');
    await page.select('#community', '2');
    await Promise.all([page.waitForNavigation(), page.click('#query button')]);
    const alone = await page.$$eval('#counts tbody th', (l) => l.map((e) => e.textContent));
    check(alone.length === 2 && !alone.includes('测试焊接厂'), 'one community by enterprise: ' + alone);
}

async function svgMap(page) {
    await page.goto(base + '/map', { waitUntil: 'networkidle0' });
    await page.waitForSelector('#map-svg');
    const data = await page.$eval('#map', (e) => [e.dataset.machines, e.dataset.live, e.dataset.violations]);
    check(data.join(',') === '3,1,2', 'the map data: 3 placed machines, 1 live, 2 open violations');
    check((await count(page, '#map-svg circle.machine')) === 3, 'a point per placed machine');
    check((await count(page, '#map-svg circle.live')) === 1, 'the machine in a work session marked live');
    check((await count(page, '#map-svg polygon.violation')) === 2, 'a triangle per open violation');
    const titles = await page.$$eval('#map-svg circle.machine title', (l) => l.map((t) => t.textContent));
    check(titles.includes('M-3 Acme, "Best" <i>焊接</i>'), 'a point\'s title holds the name as text');
    check((await count(page, '#map-svg polygon.community')) === 2,
        'community outlines: 东街 its own, 西街 the hull of its points, 北街 none (no points)');
    check((await count(page, '.leaflet-container')) === 0, 'no Leaflet without a tile server');
    await page.screenshot({ path: path.join(shots, 'web-office-map.png'), fullPage: true });
}

async function phone(page) {
    await page.setViewport({ width: 360, height: 640 });
    await page.goto(base + '/office', { waitUntil: 'networkidle0' });
    check(await fits(page), 'the counts page fits 360 px');
    const scrolls = await page.$eval('.scroll', (e) => e.scrollWidth > e.clientWidth);
    check(scrolls, 'at 360 px the table scrolls in its card, not the page');
    await page.screenshot({ path: path.join(shots, 'web-office-counts-phone.png') });
    await page.goto(base + '/map', { waitUntil: 'networkidle0' });
    await page.waitForSelector('#map-svg');
    check(await fits(page), 'the map fits 360 px');
    await page.screenshot({ path: path.join(shots, 'web-office-map-phone.png') });
}

async function tiledMap(page) {
    await page.goto(base + '/map', { waitUntil: 'networkidle0' });
    await page.waitForSelector('.leaflet-tile-loaded', { timeout: 15000 });
    const tiles = await page.$$eval('.leaflet-tile-pane img', (l) => l.map((e) => e.src));
    check(tiles.length > 0 && tiles.every((s) => s.startsWith(tileOrigin + '/')),
        'Leaflet loads ' + tiles.length + ' tiles from the tile server');
    check((await count(page, 'path.machine')) === 3, 'Leaflet draws a marker per placed machine');
    const inside = await page.evaluate(() => {
        const box = document.getElementById('map').getBoundingClientRect();
        // what shows at each marker's centre is a marker (two may share a place), not a tile
        return [...document.querySelectorAll('path.machine, path.violation')].every((p) => {
            const r = p.getBoundingClientRect();
            const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return r.width > 4 && r.left >= box.left && r.right <= box.right &&
                r.top >= box.top && r.bottom <= box.bottom && top &&
                top.matches('path.machine, path.violation');
        });
    });
    check(inside, 'every marker is drawn on top, inside the map');
    check((await count(page, 'path.violation')) === 2, 'and one per open violation');
    check((await count(page, '#map-svg')) === 0, 'no SVG fallback with tiles');
    // a name goes into a tooltip as text: 'Acme, "Best" <i>焊接</i>' shows its tags
    let shown = '';
    for (const marker of await page.$$('path.machine')) {
        await marker.hover();
        const tips = await page.$$eval('.leaflet-tooltip', (l) =>
            l.map((t) => (t.querySelector('i') ? 'HTML: ' : '') + t.textContent));
        if (tips.some((t) => t.includes('M-3'))) shown = tips.find((t) => t.includes('M-3'));
    }
    check(shown === 'M-3 Acme, "Best" <i>焊接</i>', 'a tooltip shows a name as text: ' + shown);
    await page.screenshot({ path: path.join(shots, 'web-office-map-tiles.png') });
}

const allowed = [new URL(base).origin].concat(tileOrigin ? [tileOrigin] : []);

runJourney(async (browser, page) => {
    const outside = [];
    page.on('request', (r) => {
        const u = new URL(r.url());
        if (u.protocol !== 'data:' && !allowed.includes(u.origin)) outside.push(r.url());
    });
    await page.goto(base + '/login', { waitUntil: 'networkidle0' });
    await page.type('#login', login);
    await page.type('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    if (tileOrigin) {
        await tiledMap(page);
    } else {
        await counts(page);
        await page.goto(base + '/office/overdue', { waitUntil: 'networkidle0' });
        check((await count(page, '#overdue tbody tr')) === 1, 'the overdue page lists 西街社区');
        await page.screenshot({ path: path.join(shots, 'web-office-overdue.png') });
        await svgMap(page);
        await phone(page);
    }
    check(outside.length === 0, 'no request left ' + allowed.join(' and ') +
        (outside.length ? ': ' + outside.join(' ') : ''));
}, { width: 1280, height: 800 });
