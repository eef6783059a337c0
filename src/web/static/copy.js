// Copy buttons: data-copy="TEXT" copies TEXT, data-copy-from="ID" copies that element's text.
// The Clipboard API needs a secure context (https or localhost); elsewhere a hidden textarea.
'use strict';
window.gatehouseCopy = {
  bind: function (root) {
    root.addEventListener('click', function (event) {
      var button = event.target.closest ? event.target.closest('button.copy') : null;
      if (!button) return;
      var from = button.getAttribute('data-copy-from');
      var text = from ? document.getElementById(from).textContent : button.getAttribute('data-copy');
      var done = function () {
        button.classList.add('copied');
        button.textContent = 'Copied';
        setTimeout(function () { button.classList.remove('copied'); button.textContent = 'Copy'; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
      } else {
        fallback(text);
        done();
      }
    });
  },
};

function fallback(text) {
  var area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.appendChild(area);
  area.select();
  try { document.execCommand('copy'); } catch (e) { /* nothing more to try */ }
  document.body.removeChild(area);
}
