/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/service-kit',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
