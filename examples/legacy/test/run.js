'use strict';
// The legacy library's own tests: they use its callback API, as its existing
// users do. No test framework: prints "ok N - name" or "not ok N - name" per
// test (TAP), then "# pass N" / "# fail N", and exits 1 on any failure.
var assert = require('assert');
var fs = require('fs');
var os = require('os');
var path = require('path');
var lib = require('../lib/files');

var data = path.join(__dirname, '..', 'data');
var tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'legacy-notes-'));
var tests = [];
function test(name, fn) {
  tests.push({ name: name, fn: fn });
}

// Checks that `fn(done)` calls done exactly once and never synchronously.
function onceAsync(t, fn, check) {
  var calls = 0;
  var sync = true;
  fn(function () {
    calls++;
    var args = arguments;
    assert.strictEqual(sync, false, 'callback called synchronously');
    setTimeout(function () {
      assert.strictEqual(calls, 1, 'callback called ' + calls + ' times');
      try {
        check.apply(null, args);
      } catch (e) {
        return t(e);
      }
      t();
    }, 20);
  });
  sync = false;
}

test('readText reads a file', function (t) {
  onceAsync(t, function (cb) { lib.readText(path.join(data, 'notes.txt'), cb); }, function (err, text) {
    assert.ifError(err);
    assert.strictEqual(text.split('\n')[0], 'buy milk');
  });
});

test('readJson parses a file', function (t) {
  onceAsync(t, function (cb) { lib.readJson(path.join(data, 'settings.json'), cb); }, function (err, value) {
    assert.ifError(err);
    assert.deepStrictEqual(value, { name: 'legacy-notes', retries: 3 });
  });
});

test('readJson passes ENOENT to the callback', function (t) {
  onceAsync(t, function (cb) { lib.readJson(path.join(data, 'missing.json'), cb); }, function (err) {
    assert.ok(err instanceof Error);
    assert.strictEqual(err.code, 'ENOENT');
  });
});

test('readJson passes a SyntaxError for bad JSON', function (t) {
  onceAsync(t, function (cb) { lib.readJson(path.join(data, 'notes.txt'), cb); }, function (err) {
    assert.ok(err instanceof SyntaxError);
  });
});

test('writeJson then readJson round-trips', function (t) {
  var file = path.join(tmp, 'round.json');
  lib.writeJson(file, { a: [1, 2] }, function (err) {
    if (err) return t(err);
    onceAsync(t, function (cb) { lib.readJson(file, cb); }, function (err, value) {
      assert.ifError(err);
      assert.deepStrictEqual(value, { a: [1, 2] });
    });
  });
});

test('copyFile creates the folder and returns the size', function (t) {
  var dest = path.join(tmp, 'deep', 'er', 'notes.txt');
  onceAsync(t, function (cb) { lib.copyFile(path.join(data, 'notes.txt'), dest, cb); }, function (err, size) {
    assert.ifError(err);
    assert.strictEqual(size, fs.statSync(path.join(data, 'notes.txt')).size);
    assert.strictEqual(fs.readFileSync(dest, 'utf8'), fs.readFileSync(path.join(data, 'notes.txt'), 'utf8'));
  });
});

test('copyFile passes ENOENT for a missing source and writes nothing', function (t) {
  var dest = path.join(tmp, 'never', 'x.txt');
  onceAsync(t, function (cb) { lib.copyFile(path.join(data, 'missing.txt'), dest, cb); }, function (err) {
    assert.strictEqual(err && err.code, 'ENOENT');
    assert.strictEqual(fs.existsSync(dest), false);
  });
});

test('totalSize sums the sizes of all files', function (t) {
  var files = [path.join(data, 'notes.txt'), path.join(data, 'settings.json')];
  var expected = fs.statSync(files[0]).size + fs.statSync(files[1]).size;
  onceAsync(t, function (cb) { lib.totalSize(files, cb); }, function (err, total) {
    assert.ifError(err);
    assert.strictEqual(total, expected);
  });
});

test('totalSize of no files is 0, still asynchronously', function (t) {
  onceAsync(t, function (cb) { lib.totalSize([], cb); }, function (err, total) {
    assert.ifError(err);
    assert.strictEqual(total, 0);
  });
});

test('totalSize reports the first error, once', function (t) {
  var files = [path.join(data, 'missing-1'), path.join(data, 'notes.txt'), path.join(data, 'missing-2')];
  onceAsync(t, function (cb) { lib.totalSize(files, cb); }, function (err) {
    assert.strictEqual(err && err.code, 'ENOENT');
  });
});

test('backup copies next to the backup folder', function (t) {
  onceAsync(t, function (cb) { lib.backup(path.join(data, 'settings.json'), path.join(tmp, 'bak'), cb); }, function (err, res) {
    assert.ifError(err);
    assert.strictEqual(res.file, path.join(tmp, 'bak', 'settings.json.bak'));
    assert.strictEqual(res.size, fs.statSync(path.join(data, 'settings.json')).size);
  });
});

test('cachedRead returns the same text twice', function (t) {
  var file = path.join(data, 'notes.txt');
  lib.cachedRead(file, function (err, first) {
    if (err) return t(err);
    lib.cachedRead(file, function (err, second) {
      if (err) return t(err);
      try {
        assert.strictEqual(second, first);
      } catch (e) {
        return t(e);
      }
      t();
    });
  });
});

// Runs the tests one after the other; each must finish within 2 s. An
// assertion failing inside a callback throws asynchronously: it is counted
// against the running test instead of crashing the whole run.
var passed = 0;
var failed = 0;
var current = null;
process.on('uncaughtException', function (e) {
  if (current) current(e);
  else throw e;
});

function next(i) {
  if (i === tests.length) {
    fs.rmSync(tmp, { recursive: true, force: true });
    console.log('1..' + tests.length);
    console.log('# pass ' + passed);
    console.log('# fail ' + failed);
    process.exitCode = failed ? 1 : 0;
    return;
  }
  var finished = false;
  var timer = setTimeout(function () { finish(new Error('timed out after 2 s')); }, 2000);
  function finish(err) {
    if (finished) return;
    finished = true;
    current = null;
    clearTimeout(timer);
    if (err) {
      failed++;
      console.log('not ok ' + (i + 1) + ' - ' + tests[i].name + ' # ' + String(err && err.message).split('\n')[0]);
    } else {
      passed++;
      console.log('ok ' + (i + 1) + ' - ' + tests[i].name);
    }
    setImmediate(next, i + 1);
  }
  current = finish;
  try {
    tests[i].fn(finish);
  } catch (e) {
    finish(e);
  }
}

console.log('TAP version 13');
next(0);
