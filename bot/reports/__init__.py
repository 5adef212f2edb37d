"""Reports rendered for people: the monev chart."""
