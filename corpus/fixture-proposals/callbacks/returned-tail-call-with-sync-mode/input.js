var fs = require('fs');

// touch 1.0.0 and nconf 0.8.5 (Provider#set/#clear/#reset): the function
// RETURNS its tail call, and the callee has a synchronous mode when no
// callback is given (`cb ? async : sync`), which the *Sync twin relies on.
// Wrapping the tail call as `__asyncioStart((done) => open(f, done))` always
// passes a callback (the callee leaves its sync mode) and the caller no
// longer gets the callee's return value: touch lost 4 tests and nconf 5.
function touch(f, cb) {
  return open(f, cb);
}

function open(f, cb) {
  return cb
    ? fs.open(f, 'a', function (er, fd) {
        if (er) return cb(er);
        fs.close(fd, function (er) {
          cb(er, 'touched');
        });
      })
    : (fs.closeSync(fs.openSync(f, 'a')), 'touched');
}

function touchSync(f) {
  return touch(f);
}

module.exports = { touch, touchSync };
