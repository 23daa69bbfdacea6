// lib.js — what a browser journey needs besides its steps: Debian's chromium launched headless
// by puppeteer-core, a page at a phone's size that collects CSP violations from the console,
// a check that prints "ok - ..." or throws, whether the page fits the screen's width, and a
// runner that turns a failure into "FAIL: ..." and exit status 1.
'use strict';
const puppeteer = require('puppeteer-core');

function check(cond, what) {
    if (!cond) throw new Error(what);
    console.log('ok - ' + what);
}

// journey(async (browser, page, violations) => {...}): runs the steps on a 360 x 640 page and
// checks at the end that no CSP violation was seen.
async function journey(steps) {
    const browser = await puppeteer.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        acceptInsecureCerts: true, // the development CA: curl checks the certificate
        args: ['--no-sandbox', '--disable-gpu', '--lang=zh-CN'],
    });
    try {
        const page = await browser.newPage();
        await page.setViewport({ width: 360, height: 640 });
        const violations = [];
        page.on('console', (m) => {
            if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
        });
        await steps(browser, page);
        check(violations.length === 0, 'no CSP violation in the console' + (violations.length ? ': ' + violations.join('; ') : ''));
    } finally {
        await browser.close();
    }
}

// Whether the page is no wider than the screen (no sideways scrolling).
async function fits(page) {
    return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

function run(steps) {
    journey(steps).catch((e) => {
        console.error('FAIL: ' + e.message);
        process.exit(1);
    });
}

module.exports = { check, fits, run };
