var fs = require('fs');

// nconf's File.prototype.save and mv's unlink: `cb` handed straight to a
// Node API as the last act.
function save(file, text, cb) {
  fs.writeFile(file, text, cb);
}

function remove(file, cb) {
  fs.stat(file, function (err) {
    if (err) return cb(err);
    fs.unlink(file, cb);
  });
}

module.exports = { save, remove };
