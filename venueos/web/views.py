from django.shortcuts import render

from venueos.venues.selectors import venue_list


def home(request):
    """The front page: what is here and where the API lives."""
    return render(request, "web/index.html", {"venues": venue_list()[:50]})
