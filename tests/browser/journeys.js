// journeys.js — headless Chromium (Debian's chromium, driven by puppeteer-core) through
// weldreg-web at a phone's size (360 x 640): the login page, a login, the home page, the
// welder page and logout. Screenshots go to the directory given. Run by
// tests/integration/test-web-browser.sh, which starts the server and passes:
//   node journeys.js BASE_URL LOGIN PASSWORD WELDER_PATH SHOT_DIR
'use strict';
const path = require('path');
const { check, fits: fitsPage, runJourney } = require('./lib');

const [base, login, password, welderPath, shots] = process.argv.slice(2);

runJourney(async (browser, page) => {
    const fits = () => fitsPage(page);

    await page.goto(base + '/login', { waitUntil: 'networkidle0' });
    const css = await page.evaluate(() => getComputedStyle(document.querySelector('header')).backgroundColor);
    check(css === 'rgb(179, 38, 30)', 'the stylesheet is applied (self-served, under the CSP)');
    check(await fits(), 'the login page fits 360 px without sideways scrolling');
    await page.screenshot({ path: path.join(shots, 'web-login.png') });

    await page.type('#login', login);
    await page.type('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    const who = await page.$eval('#who', (e) => e.textContent).catch(async () => {
        throw new Error('no home after login: ' + page.url() + ' ' + (await page.evaluate(() => document.body.innerText)));
    });
    check(who === login, 'logged in through the form: home says ' + who);
    const cookies = await page.cookies();
    const c = cookies.find((k) => k.name === '__Host-weldreg');
    check(c && c.httpOnly && c.secure && c.sameSite === 'Strict', 'the session cookie is HttpOnly, Secure, SameSite=Strict');
    check((await page.evaluate(() => document.cookie)) === '', 'scripts cannot read the session cookie');
    check(await fits(), 'the home page fits 360 px');
    await page.screenshot({ path: path.join(shots, 'web-home.png') });

    await Promise.all([page.waitForNavigation(), page.click('form[action="/logout"] button')]);
    check(new URL(page.url()).pathname === '/login', 'logout returns to the login page');

    await page.goto(base + welderPath, { waitUntil: 'networkidle0' });
    const name = await page.$eval('#name', (e) => e.textContent);
    const lines = await page.$$eval('#status li', (l) => l.map((e) => e.className));
    check(name.endsWith('*'), 'the welder page shows the masked name ' + name);
    check(lines.length === 5 && lines.every((k) => k === 'ok'), 'the welder page: all five checks pass today');
    check(await fits(), 'the welder page fits 360 px');
    await page.screenshot({ path: path.join(shots, 'web-welder.png'), fullPage: true });
});
