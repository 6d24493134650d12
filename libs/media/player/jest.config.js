/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/media-player',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
};
