var assert = require('assert');
var fs = require('fs');

// rimraf's and fs-vacuum's prologue: argument checks that READ the callback
// (typeof) and must keep throwing synchronously.
function rmFile(p, cb) {
  assert(typeof p === 'string', 'path must be a string');
  assert(typeof cb === 'function', 'must pass in callback');
  fs.unlink(p, function (er) {
    if (er && er.code === 'ENOENT') return cb(null);
    if (er) return cb(er);
    cb(null);
  });
}

module.exports = { rmFile };
