var fs = require('fs');
var path = require('path');

// mv 2.1.1 and fs-vacuum 1.2.10: the steps are inner function declarations
// that call the outer callback (refused today as CALLBACK_IN_NESTED_FUNCTION).
// Each helper is called exactly once, in tail position, so each can become an
// inner async function and its call `return await helper()`.
function mv(source, dest, options, cb) {
  if (typeof options === 'function') {
    cb = options;
    options = {};
  }
  if (options.mkdirp) {
    mkdirs();
  } else {
    doRename();
  }

  function mkdirs() {
    fs.mkdir(path.dirname(dest), { recursive: true }, function (err) {
      if (err) return cb(err);
      doRename();
    });
  }

  function doRename() {
    fs.rename(source, dest, function (err) {
      if (err) return cb(err);
      cb();
    });
  }
}

module.exports = { mv };
