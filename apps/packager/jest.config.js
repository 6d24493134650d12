/** @type {import('jest').Config} */
module.exports = {
  displayName: 'packager',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
