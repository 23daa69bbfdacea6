// report.js — headless Chromium (Debian's chromium, driven by puppeteer-core) at a phone's size
// (360 x 640): a public report (群众举报) without login — the community, a description, the
// phone's position (geolocation overridden), a photo chosen from the phone — sent, the thank-you
// page; the report with its photo in the community inspector's list; a welder page showing the
// welder's last refusal. Screenshots web-report-*.png and web-welder-refused.png go to the
// directory given. Run by tests/integration/test-web-report.sh, which starts the server:
//   node report.js BASE_URL PHOTO_FILE WELDER_PATH INSPECTOR PASSWORD SHOT_DIR
'use strict';
const path = require('path');
const { check, fits, runJourney } = require('./lib');

const [base, photo, welderPath, inspector, password, shots] = process.argv.slice(2);

runJourney(async (browser, page) => {
    await browser.defaultBrowserContext().overridePermissions(base, ['geolocation']);
    await page.setGeolocation({ latitude: 34.520123, longitude: 113.380456 });

    await page.goto(base + '/public-report', { waitUntil: 'networkidle0' });
    check(await fits(page), 'the report form fits 360 px without sideways scrolling');
    await page.screenshot({ path: path.join(shots, 'web-report-form.png'), fullPage: true });

    await page.select('#community', '1');
    await page.type('#description', '小区5号楼楼顶有人电焊，没有看火人，旁边堆着泡沫板。');
    check(await page.$eval('#locate', (b) => !b.hidden), 'the position button shows where the phone can locate');
    await page.click('#locate');
    await page.waitForFunction(() => document.getElementById('lat').value !== '', { timeout: 10000 });
    const lat = await page.$eval('#lat', (e) => e.value);
    check(lat === '34.520123', 'the phone position fills the form: ' + lat);
    await (await page.$('#photo')).uploadFile(photo);
    await page.type('#phone', '13800138000');
    await page.screenshot({ path: path.join(shots, 'web-report-filled.png'), fullPage: true });
    await Promise.all([
        page.waitForFunction(() => location.pathname === '/public-report/thanks', { timeout: 15000 }),
        page.click('button[type=submit]'),
    ]);
    await page.waitForSelector('#thanks');
    check(await fits(page), 'the thank-you page fits 360 px');
    await page.screenshot({ path: path.join(shots, 'web-report-thanks.png') });

    await page.goto(base + '/login', { waitUntil: 'networkidle0' });
    await page.type('#login', inspector);
    await page.type('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await page.goto(base + '/public-reports', { waitUntil: 'networkidle0' });
    const seen = await page.$$eval('.report .description', (l) => l.map((e) => e.textContent));
    check(seen.some((t) => t.startsWith('小区5号楼楼顶')), 'the community inspector lists the report');
    const img = await page.$eval('.report img.photo', (i) => i.naturalWidth);
    check(img > 0, 'the photo is shown to the inspector (' + img + ' px wide)');
    check(await fits(page), 'the inspector list fits 360 px');
    await page.screenshot({ path: path.join(shots, 'web-report-inspector.png'), fullPage: true });

    await page.goto(base + welderPath, { waitUntil: 'networkidle0' });
    const refusal = await page.$eval('#last-refusal', (e) => e.innerText);
    check(refusal.includes('焊工证已过期'), 'the welder page says the last refusal in Chinese');
    check(await fits(page), 'the welder page with its last refusal fits 360 px');
    await page.screenshot({ path: path.join(shots, 'web-welder-refused.png'), fullPage: true });
});
