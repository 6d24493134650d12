/** @type {import('jest').Config} */
module.exports = {
  displayName: 'whoami',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
