/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/whoami-core',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
