/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/media-generator',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
};
