var fs = require('fs');

// cmd-shim's rm: "Try to unlink, but ignore errors. Any problems will surface
// later." The continuation ignores its error on purpose: with await this is
// `try { await fs.promises.unlink(path); } catch {}` and the callback is
// called with no arguments in both cases.
function rm(path, cb) {
  fs.unlink(path, function (er) {
    cb();
  });
}

module.exports = { rm };
