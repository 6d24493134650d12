/** @type {import('jest').Config} */
module.exports = {
  displayName: 'generator',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
