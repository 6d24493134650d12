/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/work-sieve',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
};
