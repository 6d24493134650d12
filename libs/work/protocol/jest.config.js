/** @type {import('jest').Config} */
module.exports = {
  displayName: '@livelab/work-protocol',
  preset: '../../../jest.preset.js',
  rootDir: __dirname,
};
