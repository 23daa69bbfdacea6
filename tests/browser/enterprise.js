// enterprise.js — headless Chromium (puppeteer-core) through an enterprise's journey on
// weldreg-web at a desktop's size (1280 x 800): the safety officer sees their machines, welders
// and codes, prints the label sheet (saved for the shell to read), applies for a hot-work
// permit; the approver approves it; the officer submits the fix of a violation with a photo.
// Screenshots web-enterprise-*.png go to the directory given. Run by
// tests/integration/test-web-enterprise.sh, which starts the servers and passes:
//   node enterprise.js BASE OFFICER PASSWORD APPROVER PASSWORD SHOT_DIR PDF_OUT PHOTO STARTS ENDS
'use strict';
const fs = require('fs');
const path = require('path');
const { check, fits, runJourney } = require('./lib');

const [base, officer, officerPw, approver, approverPw, shots, pdfOut, photo, starts, ends] =
    process.argv.slice(2);

runJourney(async (browser, page) => {
    const shot = (name) => page.screenshot({ path: path.join(shots, 'web-enterprise-' + name + '.png'), fullPage: true });
    const open = (p) => page.goto(base + p, { waitUntil: 'networkidle0' });
    const text = () => page.evaluate(() => document.body.innerText);
    const submit = (sel) => Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click(sel)]);
    const login = async (who, pw) => {
        await open('/login');
        await page.type('#login', who);
        await page.type('#password', pw);
        await submit('button[type=submit]');
        check((await page.$eval('#who', (e) => e.textContent)) === who, 'logged in as ' + who);
    };
    const logout = async () => {
        await open('/');
        await submit('form[action="/logout"] button');
    };

    // the officer's registry
    await login(officer, officerPw);
    await shot('home');
    await open('/machines');
    check((await text()).includes('WR-E1-0001') && !(await text()).includes('WR-E2-0001'), 'machines: our own only');
    await shot('machines');
    await open('/ent/welders');
    check((await page.$$('#welders tbody tr')).length === 2, 'welders: our two');
    check((await text()).includes('已过期'), 'welders: the expired licence is shown as 已过期');
    await shot('welders');
    await open('/ent/codes');
    const pdf = await page.evaluate(async () => {
        const f = document.querySelector('form[action="/ent/labels"]');
        f.querySelectorAll('input[type=checkbox]').forEach((c) => { c.checked = true; });
        const r = await fetch('/ent/labels', { method: 'POST', body: new URLSearchParams(new FormData(f)) });
        const bytes = new Uint8Array(await r.arrayBuffer());
        let bin = '';
        bytes.forEach((x) => { bin += String.fromCharCode(x); });
        return { status: r.status, type: r.headers.get('content-type'), b64: btoa(bin) };
    });
    check(pdf.status === 200 && pdf.type === 'application/pdf', 'the label sheet of the codes picked is a PDF');
    fs.writeFileSync(pdfOut, Buffer.from(pdf.b64, 'base64'));
    await shot('codes');

    // the application
    await open('/permits/new');
    await page.select('#level', 'second');
    await page.type('#site', '2号车间东侧');
    await page.type('#lat', '34.52');
    await page.type('#lon', '113.38');
    await page.$eval('#starts', (e, v) => { e.value = v; }, starts);
    await page.$eval('#ends', (e, v) => { e.value = v; }, ends);
    await page.type('#fire_watch', '王监火');
    await page.click('input[name=w1]');
    await page.click('input[name=m1]');
    await shot('apply');
    await submit('form[action="/permits"] button[type=submit]');
    check(new URL(page.url()).pathname === '/permits', 'the application is sent');
    const first = () => page.$eval('#permits section', (s) => s.dataset.status);
    check((await first()) === 'applied', 'the new permit waits for approval (待审批)');
    check((await page.$$('form[action="/permits/decide"]')).length === 0, 'the officer has no approve button');
    await shot('permits');
    await logout();

    // the approver
    await login(approver, approverPw);
    await open('/permits');
    await shot('approve');
    await submit('#permits section form[action="/permits/decide"] button[value=approve]');
    check((await first()) === 'approved', 'the approver approved it (已批准)');
    await shot('approved');
    await logout();

    // the fix of a violation
    await login(officer, officerPw);
    await open('/ent/violations');
    check((await page.$$('.deadline')).length >= 1, 'a violation with its rectification deadline');
    await shot('violations');
    const form = '#v1 form[data-fix]';
    await page.type(form + ' input[name=note]', '已安排持证焊工并完成培训');
    const file = await page.$(form + ' input[type=file]');
    await file.uploadFile(photo);
    await submit(form + ' button[type=submit]');
    check((await page.$eval('#v1 .evidence', (e) => e.textContent)).includes('已安排持证焊工'),
        'the fix is recorded with its photo; the violation stays open for the inspector');
    await shot('fixed');

    // the same pages on a phone: nothing wider than 360 px (tables scroll inside their card)
    await page.setViewport({ width: 360, height: 640 });
    for (const p of ['/', '/machines', '/ent/welders', '/ent/codes', '/permits', '/permits/new', '/ent/violations']) {
        await open(p);
        check(await fits(page), p + ' fits 360 px');
    }
}, { width: 1280, height: 800 });
