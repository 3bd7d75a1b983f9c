//! Consumer-group administration on [`Admin`]: list and describe groups, read their committed
//! offsets, and reset them while a group has no members.

use std::collections::BTreeMap;

use sluice_proto::message::{
    DescribeGroupRequest, DescribeGroupResponse, GroupListing, ListGroupsRequest,
    OffsetCommitPartition, OffsetCommitRequest, OffsetCommitTopic, OffsetFetchRequest,
    ResponseBody,
};
use sluice_proto::ErrorCode;

use super::Admin;
use crate::error::{ClientError, Result};

/// Where [`Admin::reset_group_offsets`] moves a group's committed offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetResetTarget {
    /// Each partition's log start offset.
    Earliest,
    /// Each partition's log end offset.
    Latest,
    /// This offset on every partition.
    Offset(i64),
}

impl Admin {
    /// Every consumer group the broker coordinates.
    pub fn list_groups(&self) -> Result<Vec<GroupListing>> {
        match self.call(ListGroupsRequest {}.into())? {
            ResponseBody::ListGroups(r) if r.error_code == ErrorCode::None => Ok(r.groups),
            ResponseBody::ListGroups(r) => Err(ClientError::from_code(r.error_code, "", None)),
            other => Err(unexpected(&other)),
        }
    }

    /// A group's members, their assignments, and its committed offsets.
    pub fn describe_group(&self, group: &str) -> Result<DescribeGroupResponse> {
        match self.call(DescribeGroupRequest { group_id: group.into() }.into())? {
            ResponseBody::DescribeGroup(r) if r.error_code == ErrorCode::None => Ok(r),
            ResponseBody::DescribeGroup(r) => {
                Err(ClientError::from_code(r.error_code, group, None))
            }
            other => Err(unexpected(&other)),
        }
    }

    /// A group's committed offsets: partition → offset, for every partition it committed.
    pub fn group_offsets(&self, group: &str) -> Result<BTreeMap<(String, u32), i64>> {
        let request = OffsetFetchRequest { group_id: group.into(), topics: None };
        let response = match self.call(request.into())? {
            ResponseBody::OffsetFetch(r) => r,
            other => return Err(unexpected(&other)),
        };
        if response.error_code != ErrorCode::None {
            return Err(ClientError::from_code(response.error_code, group, None));
        }
        Ok(response
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(move |p| ((t.name.clone(), p.partition), p.offset))
            })
            .collect())
    }

    /// Sets the group's committed offset of every partition of `topic`. The broker refuses
    /// (`GroupNotEmpty`) while the group has members. Returns the offsets written.
    pub fn reset_group_offsets(
        &self,
        group: &str,
        topic: &str,
        target: OffsetResetTarget,
    ) -> Result<Vec<(u32, i64)>> {
        let description = self.describe_topic(topic)?;
        let offsets: Vec<(u32, i64)> = description
            .partitions
            .iter()
            .map(|p| {
                let offset = match target {
                    OffsetResetTarget::Earliest => p.log_start_offset,
                    OffsetResetTarget::Latest => p.log_end_offset,
                    OffsetResetTarget::Offset(offset) => offset,
                };
                (p.partition, offset)
            })
            .collect();
        let partitions = offsets
            .iter()
            .map(|&(partition, offset)| OffsetCommitPartition {
                partition,
                offset,
                leader_epoch: -1,
                metadata: None,
            })
            .collect();
        let request = OffsetCommitRequest::admin(
            group,
            vec![OffsetCommitTopic { name: topic.into(), partitions }],
        );
        let response = match self.call(request.into())? {
            ResponseBody::OffsetCommit(r) => r,
            other => return Err(unexpected(&other)),
        };
        if response.error_code != ErrorCode::None {
            return Err(ClientError::from_code(response.error_code, group, None));
        }
        for t in &response.topics {
            if let Some(p) = t.partitions.iter().find(|p| p.error_code != ErrorCode::None) {
                return Err(ClientError::from_code(p.error_code, &t.name, None));
            }
        }
        Ok(offsets)
    }
}

fn unexpected(body: &ResponseBody) -> ClientError {
    ClientError::Protocol(format!("unexpected response {:?}", body.api_key()))
}
