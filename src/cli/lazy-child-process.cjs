// Build-time stand-in for node:child_process in the CLI bundle (package.json "build": esbuild
// --alias). commander requires child_process when it loads, but uses it only to run
// executable subcommands, which prelaunch has none of; loading it costs ~2-4 ms of every
// start. This loads the real module on first use.
'use strict';
let real = null;
const load = () => (real ??= require('child_process'));
module.exports = new Proxy({}, {
  get: (_t, key) => load()[key],
  has: (_t, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_t, key) => Object.getOwnPropertyDescriptor(load(), key),
});
