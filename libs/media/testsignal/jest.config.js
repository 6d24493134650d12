/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/media-testsignal',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
};
