var fs = require('fs');

// The optional-options prologue of mv, rimraf, copyfiles, touch, nconf:
// `cb` is reassigned from another parameter before any other use.
function move(source, dest, options, cb) {
  if (typeof options === 'function') {
    cb = options;
    options = {};
  }
  var flag = options.clobber === false ? 'wx' : 'w';
  fs.readFile(source, function (err, data) {
    if (err) return cb(err);
    fs.writeFile(dest, data, { flag: flag }, function (err) {
      if (err) return cb(err);
      cb(null, data.length);
    });
  });
}

module.exports = { move };
