'use strict';
// enterprise.js — the enterprise's pages (web/pages_enterprise.c, pages_ent_*.c), served at
// /static/ent.js: the fix of a violation uploads its photo first (POST /photos, the image as the
// body, X-CSRF-Token) and then sends the note with the photo's id. Without it the lists still
// show everything; the fix, which needs a photo, needs the script.
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('form[data-fix]').forEach(function (f) {
    f.addEventListener('submit', function (ev) {
      var file = f.querySelector('input[type=file]');
      var photo = f.querySelector('input[name=photo]');
      var fail = f.querySelector('.fix-error');
      if (photo.value || !file.files.length) return;
      ev.preventDefault();
      fetch('/photos', {method: 'POST', credentials: 'same-origin', body: file.files[0],
        headers: {'Content-Type': file.files[0].type,
                  'X-CSRF-Token': f.querySelector('input[name=csrf]').value}})
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (j) { photo.value = String(j.id); f.submit(); })
        .catch(function () { fail.hidden = false; });
    });
  });
});
