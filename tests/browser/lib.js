// lib.js — what every browser journey needs besides its steps: Debian's chromium launched
// headless by puppeteer-core, a page of a given size that collects CSP violations and script
// errors, a check that prints "ok - ..." or throws, whether the page fits the screen's width,
// and a runner that turns a failure into "FAIL: ..." and exit status 1.
'use strict';
const puppeteer = require('puppeteer-core');

function check(cond, what) {
    if (!cond) throw new Error(what);
    console.log('ok - ' + what);
}

// Chromium headless with the journey's own flags (a fake camera, say) after the common ones.
function launch(extraArgs = []) {
    return puppeteer.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        acceptInsecureCerts: true, // the development CA: the curl tests check the certificate
        args: ['--no-sandbox', '--disable-gpu', '--lang=zh-CN', ...extraArgs],
    });
}

// A new page of @p size ({width, height}; a phone's 360 x 640 by default) whose CSP violations
// and uncaught script errors are pushed to @p violations.
async function watchedPage(browser, violations, size = { width: 360, height: 640 }) {
    const page = await browser.newPage();
    await page.setViewport(size);
    page.on('console', (m) => {
        if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
    });
    page.on('pageerror', (e) => violations.push('script error: ' + e.message));
    return page;
}

// Throws unless @p violations is empty.
function checkNoViolations(violations) {
    check(violations.length === 0, 'no CSP violation or script error in the console' +
        (violations.length ? ': ' + violations.join('; ') : ''));
}

// journey(async (browser, page) => {...}, size): the steps on one watched page, then the check
// that no CSP violation was seen.
async function journey(steps, size) {
    const browser = await launch();
    try {
        const violations = [];
        const page = await watchedPage(browser, violations, size);
        await steps(browser, page);
        checkNoViolations(violations);
    } finally {
        await browser.close();
    }
}

// Whether the page is no wider than the screen (no sideways scrolling).
async function fits(page) {
    return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

// Runs @p main (an async function), printing "FAIL: ..." and exiting 1 if it throws.
function run(main) {
    main().catch((e) => {
        console.error('FAIL: ' + e.message);
        process.exit(1);
    });
}

// runJourney(steps, size): journey() under run().
function runJourney(steps, size) {
    run(() => journey(steps, size));
}

module.exports = { check, launch, watchedPage, checkNoViolations, journey, fits, run, runJourney };
