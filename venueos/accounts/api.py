from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from venueos.accounts import selectors, services
from venueos.accounts.serializers import (
    OrganizationIn,
    OrganizationOut,
    RegisterIn,
    TokenCreatedOut,
    TokenCreateIn,
    TokenOut,
    UserCreateIn,
    UserOut,
)
from venueos.common.api import ApiView, ListMixin, parse
from venueos.common.permissions import require_signed_in
from venueos.common.throttling import LoginRateThrottle


class RegisterApi(ApiView):
    authentication_classes = []
    throttle_classes = [LoginRateThrottle]

    @extend_schema(request=RegisterIn, responses={201: UserOut}, tags=["accounts"])
    def post(self, request):
        data = parse(RegisterIn, request.data)
        user = services.user_register(**data)
        return Response(UserOut(user).data, status=status.HTTP_201_CREATED)


class TokenListCreateApi(ListMixin, ApiView):
    def get_throttles(self):
        if self.request.method == "POST":
            return [LoginRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        request=TokenCreateIn, responses={201: TokenCreatedOut}, tags=["accounts"]
    )
    def post(self, request):
        data = parse(TokenCreateIn, request.data)
        token, raw = services.token_create(**data)
        body = {
            "id": token.id,
            "name": token.name,
            "token": raw,
            "expires_at": token.expires_at,
        }
        return Response(TokenCreatedOut(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: TokenOut(many=True)}, tags=["accounts"])
    def get(self, request):
        user = require_signed_in(request.user)
        return self.paginated(selectors.token_list_for_user(user), TokenOut)


class TokenDetailApi(ApiView):
    @extend_schema(responses={204: None}, tags=["accounts"])
    def delete(self, request, token_id):
        user = require_signed_in(request.user)
        services.token_revoke(token_id=token_id, actor=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(ApiView):
    @extend_schema(responses={200: UserOut}, tags=["accounts"])
    def get(self, request):
        return Response(UserOut(require_signed_in(request.user)).data)


class OrganizationListCreateApi(ListMixin, ApiView):
    @extend_schema(responses={200: OrganizationOut(many=True)}, tags=["accounts"])
    def get(self, request):
        require_signed_in(request.user)
        return self.paginated(
            selectors.organization_list(user=request.user), OrganizationOut
        )

    @extend_schema(
        request=OrganizationIn, responses={201: OrganizationOut}, tags=["accounts"]
    )
    def post(self, request):
        require_signed_in(request.user)
        data = parse(OrganizationIn, request.data)
        organization = services.organization_create(actor=request.user, **data)
        return Response(
            OrganizationOut(organization).data, status=status.HTTP_201_CREATED
        )


class UserCreateApi(ApiView):
    @extend_schema(request=UserCreateIn, responses={201: UserOut}, tags=["accounts"])
    def post(self, request):
        require_signed_in(request.user)
        data = parse(UserCreateIn, request.data)
        user = services.user_create(actor=request.user, **data)
        return Response(UserOut(user).data, status=status.HTTP_201_CREATED)
