/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/media-ffmpeg',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
};
