/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/media-packaging',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
};
