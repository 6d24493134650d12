/** @type {import('jest').Config} */
module.exports = {
  displayName: 'packager-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // One browser and one packager at a time: they need the CPU.
  maxWorkers: 1,
};
