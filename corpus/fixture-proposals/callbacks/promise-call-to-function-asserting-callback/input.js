var assert = require('assert');
var fs = require('fs');

// rimraf 2.2.8's shape: every function asserts its callback in the prologue,
// and one calls another, handing its callback on. The prologue stays outside
// the async body (it must keep throwing synchronously), so the converted
// removeDir still requires a callback: a call site rewritten to the promise
// form `await removeDir(p)` throws "assert(typeof cb === 'function')".
function remove(p, cb) {
  assert(typeof cb === 'function');
  fs.unlink(p, function (er) {
    if (er && (er.code === 'EISDIR' || er.code === 'EPERM')) return removeDir(p, cb);
    cb(er);
  });
}

function removeDir(p, cb) {
  assert(typeof cb === 'function');
  fs.rmdir(p, function (er) {
    cb(er);
  });
}

module.exports = { remove, removeDir };
