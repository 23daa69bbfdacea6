// inspector.js — the inspector's phone journey (issue 17) in headless Chromium at 360 x 640: the
// camera is Chromium's fake capture device playing a Y4M picture of a printed label, so /scan
// reads the label through getUserMedia and jsQR as on a phone, and goes to the status card by
// itself; the time from opening /scan to the card is printed. Then a violation acknowledged
// and closed (销号) with notes and photos, another acknowledged from the list, a machine
// without a chip reported with the phone's position (page.setGeolocation), and the camera
// refused. Screenshots web-inspect-*.png. Run by tests/integration/test-web-inspector.sh:
//   node inspector.js BASE_URL LOGIN PASSWORD LABEL.y4m PHOTO.jpg SHOT_DIR
'use strict';
const path = require('path');
const { check, launch, watchedPage, checkNoViolations, fits, run } = require('./lib');

const [base, login, password, video, photo, shots] = process.argv.slice(2);

async function logIn(page) {
    await page.goto(base + '/login', { waitUntil: 'networkidle0' });
    await page.type('#login', login);
    await page.type('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    check((await page.$eval('#who', (e) => e.textContent)) === login, 'logged in as ' + login);
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent);
const shot = (page, name) => page.screenshot({ path: path.join(shots, 'web-inspect-' + name + '.png'), fullPage: true });

// Attaches the photo to the form @p formSel and waits for its upload.
async function attachPhoto(page, formSel) {
    const input = await page.$(formSel + ' input[type=file]');
    await input.uploadFile(photo);
    await page.waitForFunction((sel) => document.querySelector(sel + ' input[name=photo_id]').value !== '' ||
        /失败/.test(document.querySelector(sel + ' .photo-status').textContent), { timeout: 20000 }, formSel);
    const id = await page.$eval(formSel + ' input[name=photo_id]', (e) => e.value);
    check(/^[0-9]+$/.test(id), 'the photo was scaled, uploaded (POST /photos) and its id #' + id + ' put in the form');
    return id;
}

async function submit(page, formSel) {
    await Promise.all([page.waitForNavigation(), page.click(formSel + ' button[type=submit]')]);
}

// /scan → the card, from the camera alone.
async function scanToCard(page) {
    const started = Date.now();
    await page.goto(base + '/scan');
    await page.waitForSelector('#verified', { timeout: 30000 });
    const ms = Date.now() - started;
    check(new URL(page.url()).pathname.startsWith('/m/WR3%3A'), 'the camera read the label: the page went to the card by itself');
    console.log('ok - time to the status card after opening /scan: ' + ms + ' ms');
    check((await text(page, '#chip')) === 'WR-W-0001', 'the card is the label\'s machine WR-W-0001');
    check(!(await page.$('#code-unknown, #code-revoked, #code-chip')), 'the registry issued the code to this machine and did not revoke it');
    check((await text(page, '#open-count')) === '2', 'the card shows its 2 open violations');
    const kinds = await page.$$eval('#open-violations li', (l) => l.map((e) => e.textContent));
    check(kinds.some((k) => k.includes('焊工证已过期')), 'the violations read in Chinese (core/reason.c): ' + kinds.join(' | '));
    check((await text(page, '#enterprise')).includes('测试焊接厂') && (await text(page, '#community')).includes('东街社区'),
        'the card shows the enterprise and the community');
    check(await fits(page), 'the card fits 360 px');
    await shot(page, 'card');
}

async function closeViolation(page) {
    // the oldest open violation (licence_expired) is the last of the card's list
    const links = await page.$$('#open-violations a');
    await Promise.all([page.waitForNavigation(), links[links.length - 1].click()]);
    check((await text(page, '#violation-status')) === '待处理', 'the violation page: open');
    await page.type('#note-acknowledge', '企业负责人已知晓，停用该焊机');
    await attachPhoto(page, '#acknowledge');
    check(await fits(page), 'the violation page fits 360 px');
    await shot(page, 'violation');
    await submit(page, '#acknowledge');
    check((await text(page, '#violation-status')) === '已确认', 'acknowledged with a note and a photo');
    check(!(await page.$('#acknowledge')), 'no second acknowledgement offered');
    await page.type('#note-resolve', '焊工已复审换证，现场核实');
    await attachPhoto(page, '#resolve');
    await submit(page, '#resolve');
    check((await text(page, '#violation-status')) === '已销号', 'closed (销号) with evidence, a note and a photo');
    const history = await page.$$eval('#history li', (l) => l.map((e) => e.querySelectorAll('a.photo').length));
    check(history.length === 4 && history.filter((n) => n === 1).length === 2,
        'the history: open, acknowledged, evidence with its photo, resolved');
    await shot(page, 'resolved');
}

async function acknowledgeFromList(page) {
    await page.goto(base + '/violations', { waitUntil: 'networkidle0' });
    const open = await page.$$('#list-open a');
    check(open.length === 1, 'the list: one violation still open');
    check(await fits(page), 'the list fits 360 px');
    await shot(page, 'violations');
    await Promise.all([page.waitForNavigation(), open[0].click()]);
    await submit(page, '#acknowledge');
    check((await text(page, '#violation-status')) === '已确认', 'acknowledged from the list without a note');
}

async function reportChipless(browser, page) {
    await browser.defaultBrowserContext().overridePermissions(base, ['geolocation']);
    await page.setGeolocation({ latitude: 34.52, longitude: 113.38, accuracy: 8 });
    await page.goto(base + '/report', { waitUntil: 'networkidle0' });
    await page.waitForFunction(() => document.getElementById('lat').value !== '', { timeout: 15000 });
    check((await page.$eval('#lat', (e) => e.value)) === '34.520000' &&
        (await page.$eval('#lon', (e) => e.value)) === '113.380000', 'the phone\'s position filled in');
    await page.type('#site', '东街 12 号工地');
    await page.type('#note', '一台无芯片、无二维码的电焊机正在使用');
    await attachPhoto(page, '#report');
    check(await fits(page), 'the report page fits 360 px');
    await shot(page, 'report');
    await submit(page, '#report');
    check((await text(page, '#reported')).includes('已记录现场上报'), 'the chipless machine reported');
    await shot(page, 'reported');
}

// A forged label (one character of the card's code changed): refused, with the report form.
async function forgedCode(page, cardPath) {
    const code = decodeURIComponent(cardPath.slice(3));
    const i = code.length - 3;
    const forged = code.slice(0, i) + (code[i] === 'A' ? 'B' : 'A') + code.slice(i + 1);
    const answer = await page.goto(base + '/m/' + encodeURIComponent(forged), { waitUntil: 'networkidle0' });
    check(answer.status() === 422 && (await text(page, '#refused')).includes('签名无效'), 'a forged code refused: 签名无效');
    check(!!(await page.$('form[action="/report/code"]')), 'the refusal offers to report the code');
    check(await fits(page), 'the refusal fits 360 px');
    await shot(page, 'refused');
}

// The scanning page with a live camera that shows no code, then a refused camera.
async function cameraStates(violations) {
    const browser = await launch(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
    try {
        const page = await watchedPage(browser, violations);
        await logIn(page);
        await page.goto(base + '/scan');
        await page.waitForFunction(() => /对准摄像头/.test(document.getElementById('scan-status').textContent), { timeout: 15000 });
        check(await fits(page), 'the scanning page fits 360 px, camera on');
        await new Promise((r) => setTimeout(r, 500));
        await shot(page, 'scan');
        const denied = await watchedPage(browser, violations);
        await denied.evaluateOnNewDocument(() => {
            navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
        });
        await denied.goto(base + '/scan', { waitUntil: 'networkidle0' });
        await denied.waitForFunction(() => /权限被拒绝/.test(document.getElementById('scan-status').textContent), { timeout: 10000 });
        check(true, 'a refused camera: the page says so in Chinese and offers the typed code');
        await shot(denied, 'scan-denied');
    } finally {
        await browser.close();
    }
}

async function main() {
    const violations = [];
    const browser = await launch(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
        '--use-file-for-fake-video-capture=' + video]);
    try {
        const page = await watchedPage(browser, violations);
        await logIn(page);
        await scanToCard(page);
        const cardPath = new URL(page.url()).pathname;
        await closeViolation(page);
        await acknowledgeFromList(page);
        await reportChipless(browser, page);
        await forgedCode(page, cardPath);
    } finally {
        await browser.close();
    }
    await cameraStates(violations);
    checkNoViolations(violations);
}

run(main);
