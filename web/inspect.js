'use strict';
// inspect.js — the inspector's pages (web/pages_inspect.c), served at /static/inspect.js: the
// camera scan of /scan (jsQR over the camera's frames), the phone's position on /report, and
// photos scaled down to 1280 px and uploaded (POST /photos) before a form is sent. Every page
// still works without it: a typed code, typed coordinates, no photo.
(function () {
    var MAX_SIDE = 1280;   // a photo's longest side after scaling, in pixels
    var SCAN_SIDE = 800;   // a camera frame's longest side when decoded (faster, still sharp)
    var SCAN_EVERY_MS = 120;

    function byId(id) { return document.getElementById(id); }

    // Shows a message in Chinese with English beside it.
    function say(el, zh, en, bad) {
        if (!el) return;
        el.textContent = zh;
        var span = document.createElement('span');
        span.className = 'en';
        span.lang = 'en';
        span.textContent = en;
        el.appendChild(span);
        el.classList.toggle('bad', !!bad);
    }

    // ---- /scan: the camera ----

    function cameraRefused(status, e) {
        var denied = e && (e.name === 'NotAllowedError' || e.name === 'SecurityError');
        if (denied)
            say(status, '摄像头权限被拒绝：请在浏览器设置中允许本网站使用摄像头，或在下方输入二维码内容或芯片号。',
                'camera permission denied: allow it in the browser settings, or type the code below', true);
        else
            say(status, '没有找到可用的摄像头：请在下方输入二维码内容或芯片号。',
                'no camera available: type the code or chip id below', true);
    }

    function decodeFrames(video, stream, status) {
        var canvas = document.createElement('canvas');
        var ctx = canvas.getContext('2d', { willReadFrequently: true });
        function frame() {
            if (video.readyState >= 2 && video.videoWidth) {
                var s = Math.min(1, SCAN_SIDE / Math.max(video.videoWidth, video.videoHeight));
                canvas.width = Math.round(video.videoWidth * s);
                canvas.height = Math.round(video.videoHeight * s);
                ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
                var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
                var found = window.jsQR(img.data, img.width, img.height, { inversionAttempts: 'attemptBoth' });
                if (found && found.data && found.data.trim().indexOf('WR3:') !== 0) {
                    // another QR code (a payment, a web address): keep looking for the label
                    say(status, '这不是焊机监管平台的二维码，请对准焊机标签上的二维码', 'not a weldreg code: aim at the machine\'s label', true);
                } else if (found && found.data) {
                    stream.getTracks().forEach(function (t) { t.stop(); });
                    say(status, '已识别，正在查询…', 'read: looking it up');
                    window.location.assign('/m/' + encodeURIComponent(found.data.trim()));
                    return;
                }
            }
            window.setTimeout(frame, SCAN_EVERY_MS);
        }
        frame();
    }

    function startCamera() {
        var video = byId('camera'), status = byId('scan-status');
        if (!video) return;
        if (!window.jsQR || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
            cameraRefused(status, null);
            return;
        }
        say(status, '正在打开摄像头…', 'opening the camera');
        navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
            .then(function (stream) {
                video.srcObject = stream;
                video.hidden = false;
                video.style.width = '100%';  // CSSOM, allowed by the CSP (no inline style)
                return video.play().then(function () {
                    say(status, '请将焊机标签上的二维码对准摄像头', 'point the camera at the label\'s code');
                    decodeFrames(video, stream, status);
                });
            })
            .catch(function (e) { cameraRefused(status, e); });
    }

    // ---- /report: the phone's position ----

    function locate() {
        var button = byId('locate'), status = byId('locate-status');
        if (!button || !navigator.geolocation) return;
        button.hidden = false;
        function ask() {
            say(status, '正在获取当前位置…', 'getting the position');
            navigator.geolocation.getCurrentPosition(function (p) {
                byId('lat').value = p.coords.latitude.toFixed(6);
                byId('lon').value = p.coords.longitude.toFixed(6);
                say(status, '已填入当前位置（精度约 ' + Math.round(p.coords.accuracy) + ' 米）',
                    'position filled in (about ' + Math.round(p.coords.accuracy) + ' m)');
            }, function (e) {
                if (e.code === 1)
                    say(status, '定位权限被拒绝：请手动填写经纬度或地点。', 'location permission denied: type the position or the address', true);
                else
                    say(status, '无法获取位置：请手动填写经纬度或地点。', 'no position: type it or the address', true);
            }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
        }
        button.addEventListener('click', ask);
        ask();
    }

    // ---- photos: scaled down, uploaded, their id carried by the form ----

    function shrink(file) {
        return window.createImageBitmap(file).then(function (bmp) {
            var s = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
            var canvas = document.createElement('canvas');
            canvas.width = Math.round(bmp.width * s);
            canvas.height = Math.round(bmp.height * s);
            canvas.getContext('2d').drawImage(bmp, 0, 0, canvas.width, canvas.height);
            return new Promise(function (ok, fail) {
                canvas.toBlob(function (b) { if (b) ok(b); else fail(new Error('toBlob')); }, 'image/jpeg', 0.8);
            });
        });
    }

    function upload(form, blob) {
        return fetch('/photos', {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'Content-Type': 'image/jpeg', 'X-CSRF-Token': form.elements.csrf.value },
            body: blob,
        }).then(function (r) {
            if (!r.ok) throw new Error('HTTP ' + r.status);
            return r.json();
        });
    }

    function photoInput(input) {
        var form = input.form, status = form.querySelector('.photo-status');
        var button = form.querySelector('button[type=submit]');
        input.addEventListener('change', function () {
            var file = input.files[0];
            form.elements.photo_id.value = '';
            if (!file) return;
            button.disabled = true;
            say(status, '正在压缩并上传照片…', 'scaling and uploading the photo');
            shrink(file).then(function (blob) { return upload(form, blob); }).then(function (j) {
                form.elements.photo_id.value = String(j.id);
                say(status, '✔ 照片已上传（编号 ' + j.id + '）', 'photo uploaded (#' + j.id + ')');
            }).catch(function () {
                say(status, '照片上传失败，请重试或不带照片提交。', 'the upload failed: retry, or send without a photo', true);
            }).then(function () { button.disabled = false; });
        });
    }

    document.addEventListener('DOMContentLoaded', function () {
        startCamera();
        locate();
        document.querySelectorAll('input[type=file][data-photo]').forEach(photoInput);
    });
})();
