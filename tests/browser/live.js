// live.js — the live alerts panel in headless Chromium at 360 x 640: an inspector's home page
// shows a violation recorded after the page loaded (Chinese text, counter), shows
// "reconnecting" while the server restarts, and after it comes back shows the one recorded
// meanwhile (the browser's Last-Event-ID). Also weighs the pages (bytes of each page with its
// assets, as the browser received them). Run by tests/integration/test-web-live-browser.sh:
//   node live.js BASE_URL LOGIN PASSWORD SHOT_DIR SYNC_DIR
// with WR_RECORD set to a command that records one violation in the inspector's community. The
// server's restart is the test script's: this writes SYNC_DIR/restart, the script stops the
// server, records a violation, starts it again and writes that violation's id to SYNC_DIR/missed.
'use strict';
const fs = require('fs');
const path = require('path');
const { execSync } = require('child_process');
const { check, fits, runJourney } = require('./lib');

const [base, login, password, shots, sync] = process.argv.slice(2);

function record() {
    return execSync(process.env.WR_RECORD, { encoding: 'utf8' }).trim();
}

// The bytes of @p url and of everything it loaded (the stream of /events left out: it goes on).
async function weigh(page, url) {
    const sizes = [], paths = [];
    const seen = async (r) => {
        const p = new URL(r.url()).pathname;
        if (p === '/events') return;
        paths.push(p + (r.status() === 200 ? '' : ' ' + r.status()));
        sizes.push(r.buffer().then((b) => b.length, () => 0));
    };
    page.on('response', seen);
    await page.goto(url, { waitUntil: 'load' });
    await new Promise((r) => setTimeout(r, 300));
    page.off('response', seen);
    const all = await Promise.all(sizes);
    return { bytes: all.reduce((a, b) => a + b, 0), paths: paths };
}

runJourney(async (browser, page) => {
    const weights = [await weigh(page, base + '/login')];
    await page.type('#login', login);
    await page.type('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    check(new URL(page.url()).pathname === '/', 'logged in as ' + login);
    await page.waitForFunction(() => document.getElementById('live-state').textContent === '已连接',
        { timeout: 10000 });
    check(!(await page.$eval('#live', (e) => e.hidden)), 'the alerts panel is shown and connected (已连接)');

    const first = record();
    await page.waitForSelector(`#live-list li[data-id="${first}"]`, { timeout: 10000 });
    const li = await page.$eval(`#live-list li[data-id="${first}"]`, (e) => ({
        zh: e.querySelector('b').textContent, html: e.innerHTML, cls: e.className,
        href: e.querySelector('a').getAttribute('href'),
    }));
    check(li.zh === '码的签名不对，疑似伪造', `violation ${first}, recorded after the page loaded, is shown: ${li.zh}`);
    check(!/<script|<img/.test(li.html) && li.cls === 'alert critical', 'shown as text, marked critical');
    check(li.href === '/violations/' + first, 'it links to its page ' + li.href);
    check(await page.$eval('#live-count', (e) => e.textContent) === '1', 'the counter says 1');
    check(await fits(page), 'the home page with an alert fits 360 px');
    await page.screenshot({ path: path.join(shots, 'web-live-alert.png'), fullPage: true });

    fs.writeFileSync(path.join(sync, 'restart'), '');
    await page.waitForFunction(() => document.getElementById('live').dataset.state === 'reconnecting',
        { timeout: 15000 });
    check(true, 'the server stopped: the panel says 重新连接中…');
    await page.screenshot({ path: path.join(shots, 'web-live-reconnecting.png'), fullPage: true });
    const missedFile = path.join(sync, 'missed');
    for (let i = 0; i < 300 && !fs.existsSync(missedFile); i++) await new Promise((r) => setTimeout(r, 100));
    const missed = fs.readFileSync(missedFile, 'utf8').trim();
    await page.waitForSelector(`#live-list li[data-id="${missed}"]`, { timeout: 20000 });
    check(await page.$eval('#live-count', (e) => e.textContent) === '2',
        `the server is back: violation ${missed}, recorded while it was down, is shown (Last-Event-ID); counter 2`);

    weights.push(await weigh(page, base + '/'));
    weights.push(await weigh(page, base + '/machines'));
    ['/login', '/', '/machines'].forEach((p, i) =>
        console.log(`page weight ${p}: ${weights[i].bytes} bytes (${weights[i].paths.join(', ')})`));
});
