/** Word lists the generator draws from: varied enough to look like a real office. */

export const FIRST_NAMES = [
  'Ada', 'Aiko', 'Alba', 'Amara', 'Ana', 'Arjun', 'Aziz', 'Bea', 'Bjorn', 'Camille', 'Chen', 'Chiara', 'Dara', 'Diego',
  'Elif', 'Emeka', 'Esme', 'Farah', 'Felix', 'Freya', 'Gus', 'Hana', 'Hugo', 'Ines', 'Ivan', 'Jana', 'Jonas', 'Kai',
  'Kemal', 'Lea', 'Liam', 'Lin', 'Luca', 'Maja', 'Malik', 'Mei', 'Milo', 'Nadia', 'Nils', 'Noor', 'Olu', 'Omar',
  'Pia', 'Priya', 'Quinn', 'Rafa', 'Rosa', 'Sami', 'Sofia', 'Sven', 'Tala', 'Teo', 'Uma', 'Vera', 'Wen', 'Yara',
  'Yusuf', 'Zoe', 'Zélie', 'Åsa', 'Søren', 'Łucja', 'Dương', 'Ngozi', 'Tomás',
] as const;

export const LAST_NAMES = [
  'Abe', 'Adeyemi', 'Almeida', 'Andersen', 'Bauer', 'Becker', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'García',
  'Haddad', 'Hansen', 'Ito', 'Jensen', 'Kim', 'Kowalski', 'Larsen', 'López', 'Martin', 'Meyer', 'Moreau', 'Müller',
  'Nakamura', 'Nguyen', 'Novak', 'Okafor', 'Olsen', 'Patel', 'Pereira', 'Rossi', 'Santos', 'Schmidt', 'Silva',
  'Singh', 'Suzuki', 'Tanaka', 'Weber', 'Wójcik', 'Yılmaz', 'Zhang',
] as const;

export const GIFT_IDEAS = [
  'a good paperback', 'wool socks', 'dark chocolate', 'a plant for my desk', 'board game', 'hot sauce sampler',
  'a nice notebook', 'loose-leaf tea', 'puzzle (1000 pieces)', 'coffee beans, whole', 'a mug that says something',
  'bike lights', 'lip balm', 'a tiny cactus', 'headphones case', 'cookbook', 'scented candle', 'card game',
  'reusable bottle', 'anything with cats on it',
] as const;

export const TEAMS = [
  'Accounts', 'Design', 'Engineering', 'Facilities', 'Finance', 'Legal', 'Marketing', 'Operations', 'Platform',
  'Research', 'Sales', 'Support', 'Warehouse',
] as const;
