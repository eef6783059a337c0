// /models: filter rows as you type (plain substring of id, provider and name: linear, no regex
// built from input) and copy buttons for model ids and setup snippets.
'use strict';
(function () {
  var input = document.getElementById('model-filter');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#models tbody tr'));
  var count = document.getElementById('models-count');
  var none = document.getElementById('models-none');

  function filter() {
    var term = input.value.trim().toLowerCase().slice(0, 100);
    var shown = 0;
    rows.forEach(function (row) {
      var match = term === '' || row.getAttribute('data-search').indexOf(term) !== -1;
      row.hidden = !match;
      if (match) shown++;
    });
    count.textContent = shown + (shown === 1 ? ' model' : ' models');
    count.setAttribute('data-shown', String(shown));
    none.hidden = shown !== 0;
  }

  if (input) {
    input.addEventListener('input', filter);
    if (input.value) filter();
  }
  window.gatehouseCopy.bind(document);
})();
