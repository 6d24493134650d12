/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/media-viewer-sim',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
};
